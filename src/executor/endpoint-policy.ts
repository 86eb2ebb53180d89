/**
 * Which miner endpoints the executor may call. Endpoints come from chain commitments, i.e. from
 * strangers: without this check a commitment could point the executor at the operator's own network
 * (loopback admin ports, cloud metadata at 169.254.169.254, private ranges). The local demo and
 * `kinitro eval --endpoint` allow private addresses explicitly.
 */
import dns from 'node:dns/promises';
import net from 'node:net';

const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

export class EndpointRefused extends Error {
  override name = 'EndpointRefused';
}

/** True for loopback, private, link-local, CGNAT, multicast and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1]!, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return blocked.check(address, 'ipv4');
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
  if (host === 'localhost' || host.endsWith('.localhost')) throw new EndpointRefused(`miner endpoint ${url.host} is a loopback address`);
  const addresses = net.isIP(host) ? [host] : await (options.resolve ?? systemResolver)(host).catch((err: Error) => {
    throw new EndpointRefused(`cannot resolve miner endpoint host ${host}: ${err.message}`);
  });
  const bad = addresses.find(isPrivateAddress);
  if (bad) throw new EndpointRefused(`miner endpoint ${url.host} resolves to non-public address ${bad} (use --allow-private-endpoints to permit)`);
}
