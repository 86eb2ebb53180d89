/**
 * `kinitro miner deploy`: runs the miner's committed Hugging Face revision on Basilica, the way the
 * original's `basilica-push` does, through Basilica's REST API. The contract followed (see
 * docs/miner-guide.md, "Deploying"): the Basilica SDK's deployment calls (one-covenant/basilica,
 * `crates/basilica-sdk`, the 2026 SDK with `topologySpread`/`publicMetadata` fields):
 *
 *   POST   /deployments          CreateDeploymentRequest (camelCase JSON) → DeploymentResponse
 *   GET    /deployments/{name}   DeploymentResponse {instanceName, state, url, replicas {desired, ready}, phase?, message?}
 *   DELETE /deployments/{name}
 *   Authorization: Bearer <API token>; errors {"error": {"code", "message"}}
 *
 * Ready = state `Active` or `Running` with ready ≥ desired replicas (the SDK's own wait rule); `Failed`
 * or `Terminating` end the wait. Then GET {url}/health must answer 200 (the policy server is up).
 */
import { z } from 'zod';

export const DEFAULT_BASILICA_URL = 'https://api.basilica.ai';
const CPU_IMAGE = 'python:3.11-slim';
const GPU_IMAGE = 'pytorch/pytorch:2.1.0-cuda12.1-cudnn8-runtime';
/** The port the bootstrap serves on (the original's). */
export const DEPLOY_PORT = 8000;

export interface DeployRequest {
  repo: string;
  /** Full commit id (what `kinitro miner upload` printed). */
  revision: string;
  name?: string;
  image?: string;
  gpuCount: number;
  /** Minimum GPU memory (GB); only with GPUs. */
  minVramGb?: number;
  cpu: string;
  memory: string;
  /** Optional Hugging Face token for a private repo: passed to the deployment's environment only. */
  hfToken?: string | null;
}

export interface DeployOptions {
  baseUrl: string;
  apiToken: string;
  /** Overall wait for readiness and the health check (ms; default 600 s). */
  timeoutMs: number;
  /** Poll interval while waiting (ms; default 5 s). */
  pollMs?: number;
  onProgress?: (line: string) => void;
}

export interface DeployResult {
  name: string;
  url: string;
  /** The first DNS label of the URL for `*.deployments.basilica.ai`, else null (commit the URL instead). */
  deploymentId: string | null;
}

export class DeployError extends Error {
  override name = 'DeployError';
}

const deploymentSchema = z.object({
  instanceName: z.string(),
  state: z.string(),
  url: z.string(),
  replicas: z.object({ desired: z.number(), ready: z.number() }),
  phase: z.string().nullish(),
  message: z.string().nullish(),
});
const errorSchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string() }) });

/** The original's naming: repo lower-cased, `/` and other non-alphanumerics → `-`, trimmed, ≤ 63 chars. */
export function deploymentName(repo: string): string {
  return repo
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
}

/** The deployment id to commit: the first DNS label of a `https://{id}.deployments.basilica.ai` URL. */
export function deploymentIdFromUrl(url: string): string | null {
  try {
    const u = new URL(url);
    const m = /^([a-z0-9-]+)\.deployments\.basilica\.ai$/.exec(u.hostname);
    return u.protocol === 'https:' && m ? m[1]! : null;
  } catch {
    return null;
  }
}

/**
 * The container's command: fetch the committed snapshot into /app, install its requirements, serve
 * it. Values come from the environment (HF_REPO, HF_REVISION, HF_TOKEN), never from the script text.
 */
export function bootstrapScript(): string {
  return [
    'set -e',
    'pip install --no-cache-dir --quiet huggingface_hub numpy',
    "python3 -c \"import os; from huggingface_hub import snapshot_download; snapshot_download(repo_id=os.environ['HF_REPO'], revision=os.environ['HF_REVISION'], local_dir='/app', token=os.environ.get('HF_TOKEN') or None)\"",
    'cd /app',
    'if [ -f requirements.txt ]; then pip install --no-cache-dir --quiet -r requirements.txt; fi',
    'unset HF_TOKEN',
    `export HOST=0.0.0.0 PORT=${DEPLOY_PORT}`,
    'exec python3 server.py',
  ].join('\n');
}

export function deploymentRequest(r: DeployRequest): Record<string, unknown> {
  const env: Record<string, string> = { HF_REPO: r.repo, HF_REVISION: r.revision };
  if (r.hfToken) env.HF_TOKEN = r.hfToken;
  return {
    instanceName: r.name ?? deploymentName(r.repo),
    image: r.image ?? (r.gpuCount > 0 ? GPU_IMAGE : CPU_IMAGE),
    replicas: 1,
    port: DEPLOY_PORT,
    command: ['bash', '-c', bootstrapScript()],
    env,
    resources: {
      cpu: r.cpu,
      memory: r.memory,
      ...(r.gpuCount > 0 ? { gpus: { count: r.gpuCount, model: [], ...(r.minVramGb ? { minGpuMemoryGb: r.minVramGb } : {}) } } : {}),
    },
    public: true,
  };
}

async function call(o: DeployOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${o.baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${o.apiToken}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new DeployError(`Basilica ${method} ${path}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const e = errorSchema.safeParse(json);
    throw new DeployError(
      `Basilica ${method} ${path}: HTTP ${res.status}${e.success ? `: ${e.data.error.code ? `${e.data.error.code}: ` : ''}${e.data.error.message}` : ''}`,
    );
  }
  return json;
}

function parseDeployment(json: unknown, what: string) {
  const d = deploymentSchema.safeParse(json);
  if (!d.success) throw new DeployError(`${what}: unexpected answer from Basilica: ${d.error.issues[0]?.message ?? 'invalid'}`);
  return d.data;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the deployment, waits until it is ready and its /health answers. */
export async function deploy(r: DeployRequest, o: DeployOptions): Promise<DeployResult> {
  const request = deploymentRequest(r);
  const name = request.instanceName as string;
  const progress = o.onProgress ?? (() => undefined);
  const created = parseDeployment(await call(o, 'POST', '/deployments', request), 'create');
  progress(`deployment ${created.instanceName}: ${created.state}${created.phase ? ` (${created.phase})` : ''}`);
  const deadline = Date.now() + o.timeoutMs;
  const pollMs = o.pollMs ?? 5000;
  let d = created;
  let last = '';
  for (;;) {
    const line = `${d.state}${d.phase ? ` (${d.phase})` : ''} ${d.replicas.ready}/${d.replicas.desired} ready`;
    if (line !== last) progress(`deployment ${name}: ${line}`);
    last = line;
    if ((d.state === 'Active' || d.state === 'Running') && d.replicas.ready >= d.replicas.desired) break;
    if (d.state === 'Failed') throw new DeployError(`deployment ${name} failed: ${d.message ?? 'no reason given'}`);
    if (d.state === 'Terminating' || d.phase === 'terminating') throw new DeployError(`deployment ${name} is being terminated`);
    if (Date.now() > deadline) throw new DeployError(`deployment ${name} not ready within ${Math.round(o.timeoutMs / 1000)} s (last state ${line})`);
    await delay(pollMs);
    d = parseDeployment(await call(o, 'GET', `/deployments/${encodeURIComponent(name)}`), 'status');
  }
  // The replica is up; the policy server inside may still be installing and loading.
  for (;;) {
    try {
      const res = await fetch(`${d.url.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(10_000) });
      if (res.ok) {
        progress(`health check passed: ${d.url}/health`);
        break;
      }
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline)
      throw new DeployError(`deployment ${name} is running but ${d.url}/health did not answer within ${Math.round(o.timeoutMs / 1000)} s`);
    await delay(pollMs);
  }
  return { name, url: d.url, deploymentId: deploymentIdFromUrl(d.url) };
}
