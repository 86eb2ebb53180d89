/**
 * The executor's side of the task API (docs/original.md §4.1): `POST /v1/tasks/fetch` and `/v1/tasks/submit`
 * with a Bearer key, so executors on other machines can serve one appliance.
 */
import { z } from 'zod';
import * as contract from '../api/contract.ts';
import { instanceKeySchema } from '../sim/instance.ts';

/**
 * A task as this executor reads it: the API contract's Task (src/api/contract.ts), with the status
 * read as free text (an appliance of another version may add statuses) and the secret instance key
 * validated — our extension: the original's `seed` seeds nothing here, and an API without a valid
 * `instance` is not a kinitro appliance, so this executor cannot run its tasks.
 */
export const wireTask = contract.task.extend({ instance: instanceKeySchema, status: z.string() });
export type WireTask = z.infer<typeof wireTask>;

const fetchResponse = contract.taskFetchResponse.extend({ tasks: z.array(wireTask) });

export interface WireTaskResult {
  task_uuid: string;
  success: boolean;
  score: number;
  total_reward: number;
  timesteps: number;
  error: string | null;
  fault?: 'miner' | 'executor';
  violation?: string;
  mean_action_latency_ms?: number;
  max_action_latency_ms?: number;
}

export class TaskApiError extends Error {
  override name = 'TaskApiError';
}

export class TaskApiClient {
  private readonly base: string;

  constructor(
    apiUrl: string,
    private readonly apiKey: string | null,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = apiUrl.replace(/\/+$/, '');
  }

  private async post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
      // Reading the body can fail too (the timeout or a reset connection mid-body).
      text = await res.text();
    } catch (err) {
      throw new TaskApiError(`${path}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new TaskApiError(`${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TaskApiError(`${path}: response is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new TaskApiError(`${path}: unexpected response shape: ${parsed.error.message}`);
    return parsed.data;
  }

  fetchTasks(executorId: string, batchSize: number, envIds: readonly string[] | null = null) {
    return this.post('/v1/tasks/fetch', { executor_id: executorId, batch_size: batchSize, env_ids: envIds }, fetchResponse);
  }

  submit(executorId: string, results: readonly WireTaskResult[]) {
    return this.post('/v1/tasks/submit', { executor_id: executorId, results }, contract.taskSubmitResponse);
  }

  /** Extends the lease on tasks still running (kinitro extension; original APIs answer 404, which is ignored). */
  async heartbeat(executorId: string, taskUuids: readonly string[]): Promise<number> {
    try {
      const r = await this.post('/v1/tasks/heartbeat', { executor_id: executorId, task_uuids: taskUuids }, contract.taskHeartbeatResponse);
      return r.renewed;
    } catch (err) {
      if (/HTTP 404/.test((err as Error).message)) return 0;
      throw err;
    }
  }

  /**
   * Hands back tasks without costing an attempt (kinitro extension). Returns null when the API does
   * not have the route (an original backend), so the caller can fall back to reporting executor faults.
   */
  async release(executorId: string, taskUuids: readonly string[]): Promise<number | null> {
    try {
      const r = await this.post('/v1/tasks/release', { executor_id: executorId, task_uuids: taskUuids }, contract.taskReleaseResponse);
      return r.released;
    } catch (err) {
      if (/HTTP 404/.test((err as Error).message)) return null;
      throw err;
    }
  }

  async health(): Promise<boolean> {
    try {
      const res = await fetch(`${this.base}/health`, { signal: AbortSignal.timeout(this.timeoutMs) });
      return res.ok;
    } catch {
      return false;
    }
  }
}
