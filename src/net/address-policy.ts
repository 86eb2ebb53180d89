/**
 * Which addresses a miner endpoint may point at (pure). Endpoints come from chain commitments, i.e.
 * from strangers: without this, a commitment could aim the executors at the operator's own network
 * (loopback admin ports, the cloud metadata service at 169.254.169.254, private ranges), or reach them
 * through an IPv6 form that embeds an IPv4 address (NAT64, 6to4, IPv4-mapped / -compatible).
 *
 * Classification uses ipaddr.js's tables of IANA special-purpose ranges rather than a hand-written
 * list: an IPv4 address must be plain `unicast` (everything else is private, loopback, link-local,
 * CGNAT, benchmarking, documentation/TEST-NET, multicast, reserved, …); an IPv6 address must be in
 * global unicast 2000::/3 and in none of the special ranges inside it (Teredo, 6to4, documentation,
 * ORCHID, …). Anything outside 2000::/3 (IPv4-mapped/-compatible, NAT64 64:ff9b::/96, unique-local,
 * site-local fec0::/10, link-local, multicast, discard) is refused.
 */
import ipaddr from 'ipaddr.js';

/** Why the address may not be dialled, or null when it is a public unicast address. */
export function nonPublicReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return 'not an IP address';
  }
  if (parsed.kind() === 'ipv4') {
    const range = parsed.range();
    return range === 'unicast' ? null : range;
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range !== 'unicast') return range;
  if (!v6.match(GLOBAL_UNICAST)) return 'not global unicast';
  return null;
}

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

/** True for loopback, private, link-local, CGNAT, documentation, multicast, reserved and IPv4-embedding addresses. */
export function isPrivateAddress(address: string): boolean {
  return nonPublicReason(address) !== null;
}

/** Host names that only ever mean "this machine" or "this site" (RFC 6761/6762, cloud conventions). */
const LOCAL_NAME = /(^|\.)(localhost|local|localdomain|internal|intranet|lan|home|corp|home\.arpa|test|invalid|example)\.?$/i;

/**
 * The part of the policy that needs no DNS: the host of an endpoint URL, when it is an IP literal or a
 * name that can only be local. Returns the reason to refuse, or null (a public name still has to pass
 * the check on its resolved addresses when the executor dials it).
 */
export function endpointHostProblem(endpoint: string): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `invalid URL ${JSON.stringify(endpoint)}`;
  }
  // URL has already normalised the host: decimal/hex/octal IPv4 forms become dotted quads, IPv6 is
  // compressed and bracketed, names are lower-cased and punycoded.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const reason = nonPublicReason(host);
    return reason === null ? null : `${url.host} is a non-public address (${reason})`;
  }
  if (LOCAL_NAME.test(host)) return `${url.host} is a local host name`;
  if (!host.includes('.')) return `${url.host} is a single-label host name (resolved through local search domains)`;
  return null;
}
