/**
 * The miner commitment codec (pure). Wire format is the original's (docs/original.md §7.1):
 *
 *   plain      `{repo}:{revision[:8]}:{deployment_id}`
 *   encrypted  `{repo}:{revision[:8]}:e:{base85 blob}`
 *
 * at most 128 bytes of UTF-8. Extension for self-hosted endpoints: the deployment-id field may be
 * `@` followed by the endpoint URL with `%` and `:` percent-escaped, e.g.
 * `user/policy:abc12345:@http%3A//10.0.0.5%3A8001`. It contains no `:` so the original's parser keeps
 * it as a deployment id, and the URL the original would build from it
 * (`https://@http%3A//….deployments.basilica.ai`) has an empty host — unusable, never a misparse
 * into some other valid endpoint.
 *
 * The operator's public-key commitment (`{"t":"pk","k":…}`) shares the storage but is never a miner
 * (docs/original.md §13.21): it is recognised first and rejected as a miner commitment.
 */

export const MAX_COMMITMENT_BYTES = 128;
export const REVISION_LENGTH = 8;
export const ENDPOINT_PREFIX = '@';
export const BASILICA_DOMAIN = 'deployments.basilica.ai';

export class CommitmentError extends Error {
  override name = 'CommitmentError';
}

export interface ParsedCommitment {
  repo: string;
  revision: string;
  /** '' for encrypted commitments until decrypted. */
  deploymentId: string;
  encryptedBlob: string | null;
}

const utf8 = new TextEncoder();

export function byteLength(text: string): number {
  return utf8.encode(text).length;
}

/**
 * The original parser: `split(':', 3)`; fewer than 3 parts is invalid (null here); part 3 `e` with a
 * 4th part is encrypted; otherwise plain with any 4th part discarded. The revision is not re-truncated.
 */
export function parseCommitment(raw: string): ParsedCommitment | null {
  const parts = splitMax(raw, ':', 3);
  if (parts.length < 3) return null;
  const [repo, revision, third, fourth] = parts as [string, string, string, string | undefined];
  if (third === 'e' && fourth !== undefined) return { repo, revision, deploymentId: '', encryptedBlob: fourth };
  return { repo, revision, deploymentId: third, encryptedBlob: null };
}

/** Python's `str.split(sep, maxsplit)`. */
function splitMax(text: string, sep: string, maxSplit: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (out.length < maxSplit) {
    const at = rest.indexOf(sep);
    if (at < 0) break;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + sep.length);
  }
  out.push(rest);
  return out;
}

/** The original's `is_valid`: repo and revision present, and a deployment id or an encrypted blob. */
export function isValidCommitment(c: ParsedCommitment): boolean {
  return c.repo !== '' && c.revision !== '' && (c.deploymentId !== '' || (c.encryptedBlob ?? '') !== '');
}

export function needsDecryption(c: ParsedCommitment): boolean {
  return (c.encryptedBlob ?? '') !== '' && c.deploymentId === '';
}

export interface CommitmentFields {
  repo: string;
  revision: string;
  /** Exactly one of deploymentId, endpoint, encryptedBlob. */
  deploymentId?: string;
  endpoint?: string;
  encryptedBlob?: string;
}

/** Builds a commitment string; throws CommitmentError with the reason when it cannot be committed. */
export function buildCommitment(fields: CommitmentFields): string {
  const chosen = [fields.deploymentId, fields.endpoint, fields.encryptedBlob].filter((v) => v !== undefined);
  if (chosen.length !== 1) throw new CommitmentError('give exactly one of a deployment id, an endpoint URL or an encrypted blob');
  const repo = fields.repo.trim();
  const revision = fields.revision.trim().slice(0, REVISION_LENGTH);
  checkRepo(repo);
  if (!/^[A-Za-z0-9._/-]+$/.test(revision))
    throw new CommitmentError(`revision ${JSON.stringify(fields.revision)} must be letters, digits, '.', '_', '/' or '-'`);
  let tail: string;
  if (fields.encryptedBlob !== undefined) {
    if (fields.encryptedBlob.includes(':') || fields.encryptedBlob === '') throw new CommitmentError('the encrypted blob must be non-empty and contain no ":"');
    tail = `e:${fields.encryptedBlob}`;
  } else if (fields.endpoint !== undefined) {
    tail = encodeEndpointDeploymentId(fields.endpoint);
  } else {
    const id = fields.deploymentId!.trim();
    const problem = deploymentIdProblem(id);
    if (problem) throw new CommitmentError(problem);
    tail = id;
  }
  const text = `${repo}:${revision}:${tail}`;
  const size = byteLength(text);
  if (size > MAX_COMMITMENT_BYTES) {
    throw new CommitmentError(`the commitment is ${size} bytes; the chain field holds at most ${MAX_COMMITMENT_BYTES} (shorten the repo or the endpoint)`);
  }
  return text;
}

function checkRepo(repo: string): void {
  if (repo === '') throw new CommitmentError('the repository must not be empty');
  if (repo.includes(':')) throw new CommitmentError('the repository must not contain ":"');
  if (!HF_REPO.test(repo)) throw new CommitmentError(`repository ${JSON.stringify(repo)} is not a Hugging Face repo id (owner/name)`);
}

/** Hugging Face repo ids: `name` or `owner/name` of letters, digits, '.', '_' and '-'. */
const HF_REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
/** A Basilica deployment id becomes one DNS label of `{id}.deployments.basilica.ai`. */
const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function deploymentIdProblem(id: string): string | null {
  if (id === '') return 'the deployment id must not be empty';
  if (id.includes(':')) return 'the deployment id must not contain ":" (use --endpoint for a URL)';
  if (id === 'e') return 'the deployment id "e" is reserved for encrypted commitments';
  if (!DNS_LABEL.test(id)) return `deployment id ${JSON.stringify(id)} is not a valid host label (letters, digits and '-', at most 63)`;
  return null;
}

/** `@` + the URL with `%` and `:` escaped (nothing else, so the text stays readable). */
export function encodeEndpointDeploymentId(endpoint: string): string {
  const url = validateEndpointUrl(endpoint);
  if (typeof url !== 'string') throw new CommitmentError(url.reason);
  return ENDPOINT_PREFIX + url.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The URL carried by an `@…` deployment id, or null when the id is not one. */
export function decodeEndpointDeploymentId(id: string): string | null {
  if (!id.startsWith(ENDPOINT_PREFIX)) return null;
  try {
    return decodeURIComponent(id.slice(ENDPOINT_PREFIX.length));
  } catch {
    return null;
  }
}

/** Accepts http(s) base URLs without credentials, query or fragment; returns the normalised URL. */
export function validateEndpointUrl(text: string): string | { reason: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { reason: `endpoint ${JSON.stringify(text)} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { reason: `endpoint must use http or https, got ${url.protocol}` };
  if (url.username || url.password) return { reason: 'endpoint must not carry credentials' };
  if (url.search || url.hash) return { reason: 'endpoint must not have a query or fragment' };
  if (!url.hostname) return { reason: 'endpoint has no host' };
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

export type EndpointResolution = { ok: true; url: string; selfHosted: boolean } | { ok: false; reason: string };

/** Where the executors reach the miner: Basilica's host for a deployment id, or the URL of our extension. */
export function resolveEndpoint(deploymentId: string): EndpointResolution {
  const carried = decodeEndpointDeploymentId(deploymentId);
  if (carried !== null) {
    const url = validateEndpointUrl(carried);
    return typeof url === 'string' ? { ok: true, url, selfHosted: true } : { ok: false, reason: url.reason };
  }
  if (deploymentId.startsWith(ENDPOINT_PREFIX)) return { ok: false, reason: 'malformed percent-escaping in the endpoint' };
  const problem = deploymentIdProblem(deploymentId);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, url: `https://${deploymentId.toLowerCase()}.${BASILICA_DOMAIN}`, selfHosted: false };
}

/** The operator's public-key commitment: compact `{"t":"pk","k":"<64 hex>"}`. */
export function buildPublicKeyCommitment(publicKeyHex: string): string {
  if (!/^[0-9a-f]{64}$/i.test(publicKeyHex)) throw new CommitmentError('the public key must be 64 hex characters');
  return JSON.stringify({ t: 'pk', k: publicKeyHex.toLowerCase() });
}

/**
 * The public key of an operator commitment (`{"t":"pk","k":…}` or `{"type":"backend_pubkey","key":…}`),
 * or null for anything else.
 */
export function parsePublicKeyCommitment(raw: string): string | null {
  const value = parseJsonObject(raw);
  if (!value) return null;
  const key = value.t === 'pk' ? value.k : value.type === 'backend_pubkey' ? value.key : undefined;
  return typeof key === 'string' && /^[0-9a-f]{64}$/i.test(key) ? key.toLowerCase() : null;
}

/** A commitment that is a JSON object (public key, or any other non-miner use of the storage). */
export function isJsonCommitment(raw: string): boolean {
  return parseJsonObject(raw) !== null;
}

function parseJsonObject(raw: string): Record<string, unknown> | null {
  const text = raw.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Repo validity for discovery (same rule as when building). */
export function isValidRepo(repo: string): boolean {
  return HF_REPO.test(repo);
}

/** Commitment bytes as text the way the original reads them: UTF-8 with invalid bytes dropped. */
export function commitmentBytesToText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD/g, '');
}

export function commitmentTextToBytes(text: string): Uint8Array {
  return utf8.encode(text);
}
