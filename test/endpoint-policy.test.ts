/**
 * The endpoint policy's address classes (src/net/address-policy.ts, on ipaddr.js's IANA tables) and
 * the executor's check on resolved addresses.
 */
import test from 'ava';
import { endpointHostProblem, isPrivateAddress, nonPublicReason } from '../src/net/address-policy.ts';
import { checkEndpoint, EndpointRefused } from '../src/executor/endpoint-policy.ts';

const REFUSED: [string, string][] = [
  ['0.0.0.0', 'unspecified'],
  ['10.1.2.3', 'private'],
  ['172.16.5.4', 'private'],
  ['192.168.1.1', 'private'],
  ['127.0.0.1', 'loopback'],
  ['169.254.169.254', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['192.0.0.170', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['224.0.0.251', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'ipv4Mapped'],
  ['::ffff:8.8.8.8', 'ipv4Mapped'],
  ['::ffff:0:169.254.169.254', 'rfc6145'],
  ['::169.254.169.254', 'ipv4Mapped'],
  ['64:ff9b::a9fe:a9fe', 'rfc6052'],
  ['64:ff9b:1::a9fe:a9fe', 'rfc6052'],
  ['2002:a9fe:a9fe::1', '6to4'],
  ['2001::1', 'teredo'],
  ['2001:db8::1', 'reserved'],
  ['fec0::1', 'deprecatedSiteLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['ff02::1', 'multicast'],
  ['100::1', 'discard'],
];

test('every special-purpose range is refused, IPv4-embedding IPv6 forms included; public unicast passes', (t) => {
  for (const [address, reason] of REFUSED) {
    t.is(nonPublicReason(address), reason, address);
    t.true(isPrivateAddress(address), address);
  }
  for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2001:4860:4860::8888', '2606:4700::1111']) t.is(nonPublicReason(address), null, address);
  t.true(isPrivateAddress('not an address'));
});

test('URL hosts are judged after normalisation: numeric IPv4 forms, bracketed IPv6, local names', (t) => {
  for (const url of ['http://2130706433/', 'http://0x7f.1/', 'http://017700000001/', 'http://127.1/', 'http://[::ffff:7f00:1]/', 'http://[64:ff9b::7f00:1]/']) {
    t.regex(endpointHostProblem(url) ?? '', /non-public address/, url);
  }
  for (const url of ['http://localhost:8001', 'http://a.localhost', 'http://metadata.google.internal', 'http://printer.local', 'http://router.home.arpa']) {
    t.regex(endpointHostProblem(url) ?? '', /local host name/, url);
  }
  t.regex(endpointHostProblem('http://metadata/') ?? '', /single-label/);
  t.is(endpointHostProblem('https://abc123.deployments.basilica.ai'), null);
  t.is(endpointHostProblem('https://miner.example.com:8443/policy'), null);
});

test('the executor checks resolved addresses: a public name that resolves to an embedded private address is refused', async (t) => {
  const resolveTo = (addresses: string[]) => async () => addresses;
  await t.notThrowsAsync(checkEndpoint('https://miner.example.com', { allowPrivate: false, resolve: resolveTo(['93.184.216.34']) }));
  for (const address of ['64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '::ffff:10.0.0.1', '192.0.2.1', 'fec0::5']) {
    const err = await t.throwsAsync(checkEndpoint('https://miner.example.com', { allowPrivate: false, resolve: resolveTo(['93.184.216.34', address]) }), {
      instanceOf: EndpointRefused,
    });
    t.regex(err!.message, new RegExp(`resolves to non-public address ${address.replace(/[.:]/g, '\\$&')}`));
  }
  await t.throwsAsync(checkEndpoint('http://localhost:8001', { allowPrivate: false, resolve: resolveTo(['93.184.216.34']) }), { message: /local host name/ });
  await t.notThrowsAsync(checkEndpoint('http://127.0.0.1:8001', { allowPrivate: true }));
});
