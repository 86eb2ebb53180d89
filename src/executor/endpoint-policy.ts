/**
 * Which miner endpoints the executor may call. Endpoints come from chain commitments, i.e. from
 * strangers: without this check a commitment could point the executor at the operator's own network
 * (loopback admin ports, cloud metadata at 169.254.169.254, private ranges). Discovery already
 * refuses literal non-public hosts (`src/net/address-policy.ts`); this check runs before each episode
 * on the resolved addresses, and `publicOnlyLookup` once more on the address actually dialled (DNS
 * rebinding). The appliance's own demo miners and `kinitro eval --endpoint` are exempt explicitly.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { endpointHostProblem, isPrivateAddress } from '../net/address-policy.ts';

export { isPrivateAddress };

export class EndpointRefused extends Error {
  override name = 'EndpointRefused';
}

export type Resolver = (hostname: string) => Promise<string[]>;

const systemResolver: Resolver = async (hostname) => (await dns.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Throws EndpointRefused unless the endpoint is an http(s) URL whose host resolves only to public
 * addresses (or private ones are allowed).
 */
export async function checkEndpoint(endpoint: string, options: { allowPrivate: boolean; resolve?: Resolver }): Promise<void> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointRefused(`invalid miner endpoint URL ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EndpointRefused(`miner endpoint must be http(s), got ${url.protocol}`);
  if (url.username || url.password) throw new EndpointRefused('miner endpoint must not carry credentials');
  if (options.allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Names that can only be local are refused without asking DNS; addresses are checked below.
  const problem = net.isIP(host) ? null : endpointHostProblem(endpoint);
  if (problem) throw new EndpointRefused(`miner endpoint ${problem} (use --allow-private-endpoints to permit)`);
  const addresses = net.isIP(host)
    ? [host]
    : await (options.resolve ?? systemResolver)(host).catch((err: Error) => {
        throw new EndpointRefused(`cannot resolve miner endpoint host ${host}: ${err.message}`);
      });
  const bad = addresses.find(isPrivateAddress);
  if (bad) throw new EndpointRefused(`miner endpoint ${url.host} resolves to non-public address ${bad} (use --allow-private-endpoints to permit)`);
}
