/**
 * Fetches a miner's committed code, `repo@revision`, from the Hugging Face Hub with the official JS
 * client (`@huggingface/hub`), into `{cacheDir}/{owner}--{name}/{full commit}`. The Hub is a stranger's
 * data source here: the listing's paths are checked (no absolute paths, no `..`), the total size is
 * capped before anything is downloaded, and each file is streamed to disk with its size checked.
 *
 * The chain commitment keeps only the first 8 characters of the revision. The revision is resolved to
 * a full commit id on the Hub and must start with what was committed: a branch or tag name (which can
 * move after the commitment) does not count as a revision.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, HubApiError, listCommits, listFiles, modelInfo } from '@huggingface/hub';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface HubOptions {
  /** Base URL of the Hub (default https://huggingface.co). */
  hubUrl?: string;
  /** Optional read token (never logged). */
  accessToken?: string;
}

/** The miner's side is at fault (no such repo or revision, too large, bad paths): a mismatch. */
export class CommittedCodeUnavailable extends Error {
  override name = 'CommittedCodeUnavailable';
}

/** Our side could not reach the Hub (network, 5xx, rate limit): unverifiable. */
export class HubUnreachable extends Error {
  override name = 'HubUnreachable';
}

export interface FetchedRevision {
  dir: string;
  /** The full 40-hex commit id. */
  commit: string;
  files: number;
  bytes: number;
}

const FULL_SHA = /^[0-9a-f]{40}$/;
/** Every Hub request has a deadline: a stalled Hub must not hold up a cycle's weights. */
const REQUEST_TIMEOUT_MS = 60_000;
/** A repository with more files than this is refused (before downloading anything). */
const MAX_FILES = 10_000;

const timedFetch: typeof fetch = (input, init) => {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
};

function credentials(options: HubOptions) {
  return { hubUrl: options.hubUrl, fetch: timedFetch, ...(options.accessToken ? { accessToken: options.accessToken } : {}) };
}
const SHORT_SHA = /^[0-9a-f]{7,40}$/;

function classify(err: unknown, what: string): Error {
  if (err instanceof CommittedCodeUnavailable || err instanceof HubUnreachable) return err;
  if (err instanceof HubApiError && [401, 403, 404, 410].includes(err.statusCode)) {
    return new CommittedCodeUnavailable(`${what}: the Hub answered ${err.statusCode} (no such public repository or revision)`);
  }
  const e = err as Error;
  return new HubUnreachable(`${what}: ${e instanceof HubApiError ? `HTTP ${e.statusCode}` : e.message}`);
}

/** Resolves the committed (possibly 8-character) revision to a full commit id of `repo`. */
export async function resolveRevision(repo: string, revision: string, options: HubOptions = {}): Promise<string> {
  const rev = revision.toLowerCase();
  if (!SHORT_SHA.test(rev)) throw new CommittedCodeUnavailable(`revision ${JSON.stringify(revision)} is not a commit id (7–40 hex characters)`);
  const creds = credentials(options);
  if (FULL_SHA.test(rev)) {
    try {
      const info = await modelInfo({ ...creds, name: repo, revision: rev, additionalFields: ['sha'] });
      const sha = (info as { sha?: string }).sha;
      if (sha !== rev) throw new CommittedCodeUnavailable(`the Hub resolved ${rev} to ${String(sha)}`);
      return rev;
    } catch (err) {
      throw classify(err, `${repo}@${rev}`);
    }
  }
  // A short id: look for it in the history of the default branch (the Hub's API takes full ids).
  try {
    let seen = 0;
    for await (const c of listCommits({ ...creds, repo, revision: 'main' })) {
      if (c.oid.startsWith(rev)) return c.oid;
      if (++seen >= 1000) break;
    }
  } catch (err) {
    throw classify(err, `${repo} history`);
  }
  throw new CommittedCodeUnavailable(`no commit of ${repo} (main, last 1000 commits) starts with ${rev}`);
}

function safeRelative(p: string): string | null {
  if (p === '' || p.includes('\0') || p.includes('\\') || path.posix.isAbsolute(p)) return null;
  const norm = path.posix.normalize(p);
  if (norm.startsWith('../') || norm === '..' || norm.split('/').includes('..')) return null;
  return norm;
}

/** Downloads `repo` at the full `commit` (cached: a complete download is reused). */
export async function fetchRevision(repo: string, commit: string, cacheDir: string, maxBytes: number, options: HubOptions = {}): Promise<FetchedRevision> {
  const dir = path.join(cacheDir, repo.replace(/\//g, '--'), commit);
  const marker = path.join(dir, '.kinitro-complete');
  const creds = credentials(options);
  if (fs.existsSync(marker)) {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as { files: number; bytes: number };
    return { dir: path.join(dir, 'code'), commit, ...m };
  }
  const entries: { path: string; size: number }[] = [];
  let total = 0;
  try {
    for await (const e of listFiles({ ...creds, repo, revision: commit, recursive: true })) {
      if (e.type !== 'file') continue;
      const rel = safeRelative(e.path);
      if (rel === null) throw new CommittedCodeUnavailable(`the repository lists an unsafe path ${JSON.stringify(e.path)}`);
      total += e.size;
      if (total > maxBytes) throw new CommittedCodeUnavailable(`the repository is larger than the ${maxBytes}-byte limit`);
      entries.push({ path: rel, size: e.size });
      if (entries.length > MAX_FILES) throw new CommittedCodeUnavailable(`the repository holds more than ${MAX_FILES} files`);
    }
  } catch (err) {
    throw classify(err, `${repo}@${commit} listing`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const code = path.join(dir, 'code');
  fs.mkdirSync(code, { recursive: true, mode: 0o755 });
  for (const e of entries) {
    const target = path.join(code, e.path);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    try {
      const blob = await downloadFile({ ...creds, repo, revision: commit, path: e.path });
      if (!blob) throw new CommittedCodeUnavailable(`${e.path} is listed but cannot be downloaded`);
      if (blob.size !== e.size) throw new CommittedCodeUnavailable(`${e.path} is ${blob.size} bytes, the listing said ${e.size}`);
      await pipeline(Readable.fromWeb(blob.stream() as WebReadableStream), fs.createWriteStream(target, { mode: 0o644 }));
    } catch (err) {
      throw classify(err, `${repo}@${commit}/${e.path}`);
    }
  }
  fs.writeFileSync(marker, JSON.stringify({ files: entries.length, bytes: total }));
  return { dir: code, commit, files: entries.length, bytes: total };
}
