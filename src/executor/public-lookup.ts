/**
 * A DNS lookup for miner connections that refuses non-public addresses at connect time. The
 * endpoint policy checks a chain endpoint's name before an episode, but the connection resolves the
 * name again; a host that answers the check with a public address and the connection with a private
 * one (DNS rebinding) would slip through. With this lookup the address actually dialled is checked.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { EndpointRefused, isPrivateAddress } from './endpoint-policy.ts';

export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad || list.length === 0) {
      const refusal = new EndpointRefused(`miner endpoint host ${hostname} resolves to non-public address ${bad?.address ?? '(none)'}`);
      return callback(refusal as NodeJS.ErrnoException, '', 0);
    }
    if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};
