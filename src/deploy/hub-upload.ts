/**
 * `kinitro miner upload`: the miner's directory → one commit on a Hugging Face model repo, with the
 * official JS client (`@huggingface/hub`). Prints the repo and the full commit id to commit on chain.
 *
 * What is uploaded: every regular file under the directory except version-control and cache folders
 * (`.git`, `__pycache__`, `.venv`, `node_modules`, other dot-folders), `*.pyc`, and anything that looks
 * like a secret (`.env*`, `*.pem`, `*.key`, files named like tokens) — a public repo is world-readable
 * forever. The total is capped (default 5 GB, the original's `KINITRO_MAX_REPO_SIZE_GB`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRepo, HubApiError, uploadFiles, whoAmI } from '@huggingface/hub';

export interface UploadOptions {
  repo: string;
  dir: string;
  token: string;
  hubUrl?: string;
  message?: string;
  private?: boolean;
  maxBytes?: number;
}

export interface UploadResult {
  repo: string;
  /** The full 40-hex commit id of the upload. */
  revision: string;
  files: string[];
  bytes: number;
  created: boolean;
}

export class UploadError extends Error {
  override name = 'UploadError';
}

const SKIP_DIRS = new Set(['.git', '__pycache__', '.venv', 'venv', 'node_modules', '.mypy_cache', '.pytest_cache']);
const SECRET_NAMES = [/^\.env(\..*)?$/, /\.pem$/, /\.key$/, /^id_(rsa|ed25519|ecdsa)/, /token/i, /secret/i, /credential/i, /^\.netrc$/];

/** The files `upload` would send, relative to `dir`, in a stable order. */
export function filesToUpload(dir: string): { files: string[]; skippedSecrets: string[] } {
  const files: string[] = [];
  const skippedSecrets: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIP_DIRS.has(entry.name) || entry.name.startsWith('.')) continue;
        walk(p);
      } else if (entry.isFile()) {
        if (entry.name.endsWith('.pyc')) continue;
        if (SECRET_NAMES.some((re) => re.test(entry.name))) {
          skippedSecrets.push(p);
          continue;
        }
        files.push(p);
      }
    }
  };
  walk('');
  return { files: files.sort(), skippedSecrets: skippedSecrets.sort() };
}

function describe(err: unknown): string {
  if (err instanceof HubApiError) return `the Hub answered HTTP ${err.statusCode}: ${err.message}`;
  return (err as Error).message;
}

export async function uploadDirectory(o: UploadOptions): Promise<UploadResult & { skippedSecrets: string[] }> {
  if (!/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(o.repo)) throw new UploadError(`--repo must be owner/name, got ${JSON.stringify(o.repo)}`);
  if (!fs.statSync(o.dir, { throwIfNoEntry: false })?.isDirectory()) throw new UploadError(`${o.dir} is not a directory`);
  const { files, skippedSecrets } = filesToUpload(o.dir);
  if (!files.includes('server.py'))
    throw new UploadError(`${o.dir} has no server.py: validators and Basilica run \`python3 server.py\` (kinitro init-miner writes one)`);
  const bytes = files.reduce((n, f) => n + fs.statSync(path.join(o.dir, f)).size, 0);
  const max = o.maxBytes ?? 5 * 1024 ** 3;
  if (bytes > max) throw new UploadError(`${o.dir} holds ${bytes} bytes, over the ${max}-byte limit`);
  const creds = { accessToken: o.token, ...(o.hubUrl ? { hubUrl: o.hubUrl } : {}) };
  let created = false;
  try {
    await whoAmI(creds);
  } catch (err) {
    throw new UploadError(`the token was refused: ${describe(err)}`);
  }
  try {
    await createRepo({ ...creds, repo: { type: 'model', name: o.repo }, private: o.private ?? false });
    created = true;
  } catch (err) {
    // 409: it exists already (the usual case after the first upload).
    if (!(err instanceof HubApiError && err.statusCode === 409)) throw new UploadError(`cannot create ${o.repo}: ${describe(err)}`);
  }
  let commit;
  try {
    commit = await uploadFiles({
      ...creds,
      repo: { type: 'model', name: o.repo },
      commitTitle: o.message ?? 'Model update',
      files: files.map((f) => ({ path: f, content: new Blob([fs.readFileSync(path.join(o.dir, f))]) })),
    });
  } catch (err) {
    throw new UploadError(`upload to ${o.repo} failed: ${describe(err)}`);
  }
  const revision = commit?.commit.oid;
  if (!revision || !/^[0-9a-f]{40}$/.test(revision)) throw new UploadError(`the Hub returned no commit id for the upload (got ${JSON.stringify(revision)})`);
  return { repo: o.repo, revision, files, bytes, created, skippedSecrets };
}
