/**
 * Snapshots of a running appliance over its public REST API (`kinitro tui --api-url`).
 *
 * One snapshot is two rounds of parallel GETs: first what tells us which cycles matter (status,
 * weights, cycle list, appliance), then the running cycle's progress and failures and — only when
 * a new cycle has completed — that cycle's scores, explanation and failures, which never change
 * afterwards and are cached. 404s are normal states (no cycle yet, no appliance extension).
 */
import { z } from 'zod';
import * as contract from '../api/contract.ts';
import { snapshotFromApi, type ApiBodies } from './api-snapshot.ts';
import type { DashboardSnapshot, DashboardSource } from './types.ts';

export class ApiRequestError extends Error {
  override name = 'ApiRequestError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface RemoteSourceOptions {
  /** Per-request deadline (default 5 s). */
  timeoutMs?: number;
  /** How many recent failed tasks to read per cycle (default 100, at most 500). */
  failuresPerCycle?: number;
  /** How many recent cycles the history shows (default 12). */
  historyLimit?: number;
}

interface LatestCache {
  cycleId: number;
  scores: unknown;
  detail: unknown;
  failed: unknown;
  spotChecks: unknown;
}

// What the source itself reads to decide what to fetch, typed by the contract (src/api/contract.ts);
// anything else in a body is snapshotFromApi's to read. A part in another shape is just unknown.
const cycleRef = z.object({ id: contract.cycle.shape.id }).nullish().catch(null);
const statusRefs = z.object({ current_cycle: cycleRef, last_completed_cycle: cycleRef });
const pageSize = z.object({
  total: contract.tasksPage.shape.total.nullish().catch(null),
  tasks: z.array(z.unknown()).nullish().catch(null),
});

function cycleIdOf(statusBody: unknown, key: 'current_cycle' | 'last_completed_cycle'): number | null {
  const r = statusRefs.safeParse(statusBody);
  return r.success ? (r.data[key]?.id ?? null) : null;
}

export class RemoteDashboardSource implements DashboardSource {
  readonly label: string;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly failuresPerCycle: number;
  private readonly historyLimit: number;
  private latestCache: LatestCache | null = null;
  private environments: unknown = null;
  /** Last seen failed-task count per cycle, so the newest page is usually one request. */
  private readonly failedTotals = new Map<number, number>();
  /** Aborts requests in flight on close(), so quitting never waits for a slow server. */
  private readonly closing = new AbortController();

  constructor(apiUrl: string, options: RemoteSourceOptions = {}) {
    let url: URL;
    try {
      url = new URL(apiUrl);
    } catch {
      throw new TypeError(`not a URL: ${JSON.stringify(apiUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`expected an http(s) URL, got ${JSON.stringify(apiUrl)}`);
    this.base = url.href.replace(/\/+$/, '');
    this.label = this.base;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.failuresPerCycle = Math.min(500, Math.max(1, options.failuresPerCycle ?? 100));
    this.historyLimit = Math.min(500, Math.max(1, options.historyLimit ?? 12));
  }

  /** GET → parsed JSON, null on 404; throws ApiRequestError on anything else. */
  private async get(path: string): Promise<unknown> {
    let res: Response;
    try {
      const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.timeoutMs)]);
      res = await fetch(`${this.base}${path}`, { headers: { accept: 'application/json' }, signal });
    } catch (err) {
      // fetch() says only "fetch failed"; the reason (ECONNREFUSED, bad port, timeout) is its cause.
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (err as Error).message;
      throw new ApiRequestError(`${path}: ${reason}`, null);
    }
    const text = await res.text();
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiRequestError(`${path}: HTTP ${res.status}`, res.status);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiRequestError(`${path}: response is not JSON`, res.status);
    }
  }

  /** Like `get`, but a failure becomes a warning and a null part instead of a failed snapshot. */
  private async optional(path: string, warnings: string[]): Promise<unknown> {
    try {
      return await this.get(path);
    } catch (err) {
      warnings.push((err as Error).message);
      return null;
    }
  }

  /** The newest failed tasks of a cycle (the API pages in id order, so aim at the tail). */
  private async recentFailures(cycleId: number, warnings: string[]): Promise<unknown> {
    const limit = this.failuresPerCycle;
    const page = async (offset: number) => this.optional(`/v1/cycles/${cycleId}/tasks?status=failed&limit=${limit}&offset=${offset}`, warnings);
    let offset = Math.max(0, (this.failedTotals.get(cycleId) ?? 0) - limit);
    let body = await page(offset);
    const first = pageSize.safeParse(body);
    const total = first.success ? (first.data.total ?? null) : null;
    if (first.success && total !== null && total > offset + (first.data.tasks?.length ?? 0)) {
      offset = Math.max(0, total - limit);
      body = await page(offset);
    }
    if (total !== null) this.failedTotals.set(cycleId, total);
    return body;
  }

  close(): void {
    this.closing.abort(new Error('source closed'));
  }

  async snapshot(): Promise<DashboardSnapshot> {
    const warnings: string[] = [];
    // The status route is the one we cannot do without: its failure fails the snapshot.
    const [status, appliance, weights, cycles, environments] = await Promise.all([
      this.get('/v1/status'),
      this.optional('/v1/appliance', warnings),
      this.optional('/v1/weights/latest', warnings),
      this.optional(`/v1/cycles?limit=${this.historyLimit}`, warnings),
      this.environments ?? this.optional('/v1/environments', warnings),
    ]);
    if (status === null) throw new ApiRequestError('/v1/status: HTTP 404 (is this a kinitro API?)', 404);
    if (Array.isArray(environments)) this.environments = environments;

    const currentId = cycleIdOf(status, 'current_cycle');
    const lastId = cycleIdOf(status, 'last_completed_cycle');
    const latestPromise: Promise<LatestCache | null> =
      lastId === null
        ? Promise.resolve(null)
        : this.latestCache?.cycleId === lastId
          ? Promise.resolve(this.latestCache)
          : (async () => {
              const before = warnings.length;
              const [scores, detail, failed, spotChecks] = await Promise.all([
                this.optional(`/v1/scores/${lastId}`, warnings),
                this.optional(`/v1/cycles/${lastId}`, warnings),
                this.recentFailures(lastId, warnings),
                // A kinitro extension: servers without it (the original) are not warned about.
                this.get(`/v1/cycles/${lastId}/spot-checks`).catch(() => null),
              ]);
              const entry = { cycleId: lastId, scores, detail, failed, spotChecks };
              // A completed cycle never changes: cache it, unless part of it could not be read.
              if (warnings.length === before && scores !== null) this.latestCache = entry;
              return entry;
            })();
    const [currentStats, currentFailed, latest] = await Promise.all([
      currentId === null ? null : this.optional(`/v1/tasks/stats?cycle_id=${currentId}`, warnings),
      currentId === null ? null : this.recentFailures(currentId, warnings),
      latestPromise,
    ]);
    // Forget failure counts of cycles we no longer look at.
    for (const id of this.failedTotals.keys()) if (id !== currentId && id !== lastId) this.failedTotals.delete(id);

    const bodies: ApiBodies = {
      origin: this.base,
      takenAt: new Date().toISOString(),
      status,
      appliance,
      currentStats,
      currentFailedTasks: currentFailed,
      weights,
      cycles,
      environments: this.environments ?? environments,
      latestScores: latest?.scores ?? null,
      latestDetail: latest?.detail ?? null,
      latestFailedTasks: latest?.failed ?? null,
      latestSpotChecks: latest?.spotChecks ?? null,
      warnings,
    };
    return snapshotFromApi(bodies);
  }
}
