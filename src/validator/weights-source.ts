/**
 * Where the validator gets the weights to set: the backend's `GET /v1/weights/latest`
 * (WeightsResponse, docs/original.md §1.6; its schema is the REST contract's, src/api/contract.ts) over
 * HTTP for a standalone validator, or a function the appliance provides in-process. Both go through
 * the same schema.
 */
import { z } from 'zod';
import { weightsResponse } from '../api/contract.ts';

/**
 * The contract's WeightsResponse, except `metadata`: the original's backend fills it freely (or leaves
 * it out), and nothing the validator does depends on it.
 */
export const WeightsResponseSchema = weightsResponse.extend({ metadata: z.record(z.string(), z.unknown()).nullish() });

export type WeightsResponse = z.infer<typeof WeightsResponseSchema>;

/** Returns the latest published weights, or null when there are none yet. */
export type WeightsSource = () => Promise<WeightsResponse | null>;

export class BackendError extends Error {
  override name = 'BackendError';
}

export interface HttpSourceOptions {
  timeoutMs?: number;
}

function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    const reason =
      (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (((err as Error).cause as Error)?.message ?? (err as Error).message);
    throw new BackendError(`GET ${url} failed: ${reason}`);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    if (res.ok) throw new BackendError(`GET ${url}: the body is not JSON`);
  }
  return { status: res.status, body };
}

/** `GET {baseUrl}/v1/weights/latest`: 404 → null; other failures throw BackendError. */
export function httpWeightsSource(baseUrl: string, options: HttpSourceOptions = {}): WeightsSource {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const url = endpoint(baseUrl, '/v1/weights/latest');
  return async () => {
    const { status, body } = await getJson(url, timeoutMs);
    if (status === 404) return null;
    if (status !== 200) throw new BackendError(`GET ${url} answered ${status}: ${JSON.stringify(body)?.slice(0, 200)}`);
    const parsed = WeightsResponseSchema.safeParse(body);
    if (!parsed.success)
      throw new BackendError(`GET ${url}: not a WeightsResponse (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
    return parsed.data;
  };
}

/** `GET {baseUrl}/health`; throws BackendError unless it answers 200. */
export async function checkBackendHealth(baseUrl: string, timeoutMs = 30_000): Promise<void> {
  const url = endpoint(baseUrl, '/health');
  const { status } = await getJson(url, timeoutMs);
  if (status !== 200) throw new BackendError(`GET ${url} answered ${status}`);
}
