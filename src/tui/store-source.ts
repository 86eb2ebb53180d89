/**
 * In-process snapshots for `kinitro start`: the same JSON the API would serve (built with the API's
 * own shape functions) read straight from the store, then the same normaliser as the remote
 * source, so the two dashboards cannot disagree. Reads are synchronous SQLite queries on indexed
 * columns; the latest completed cycle's scores and explanation never change and are cached.
 */
import type { Store } from '../store/index.ts';
import { executorLabels } from '../api/executor-labels.ts';
import { cycleDetailJson, cycleJson, minerScoreJson, spotCheckJson, statsJson, taskDetailJson, weightsJson } from '../api/shapes.ts';
import { ENV_IDS } from '../sim/registry.ts';
import { snapshotFromApi } from './api-snapshot.ts';
import type { DashboardSnapshot, DashboardSource } from './types.ts';

export interface StoreSourceOptions {
  /** The `GET /v1/appliance` body (snake_case JSON, or a promise of it), or null when not available. */
  appliance?: () => unknown;
  /** The extension fields of `GET /v1/status` (e.g. `cycle_estimate`), as the API serves them. */
  statusExtension?: () => Record<string, unknown>;
  /** Shown in the header (default "in-process"). */
  origin?: string;
  historyLimit?: number;
  failuresPerCycle?: number;
}

export class StoreDashboardSource implements DashboardSource {
  readonly label: string;
  private readonly historyLimit: number;
  private readonly failuresPerCycle: number;
  private latestCache: { cycleId: number; scores: unknown; detail: unknown; failed: unknown; spotChecks: unknown } | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: StoreSourceOptions = {},
  ) {
    this.label = options.origin ?? 'in-process';
    this.historyLimit = Math.max(1, options.historyLimit ?? 12);
    this.failuresPerCycle = Math.max(1, options.failuresPerCycle ?? 100);
  }

  private recentFailures(cycleId: number): unknown {
    const { total } = this.store.tasks.listForCycle(cycleId, { limit: 1, offset: 0, status: 'failed' });
    const offset = Math.max(0, total - this.failuresPerCycle);
    const page = this.store.tasks.listForCycle(cycleId, { limit: this.failuresPerCycle, offset, status: 'failed' });
    return { total: page.total, tasks: page.tasks.map(taskDetailJson) };
  }

  async snapshot(): Promise<DashboardSnapshot> {
    const { store } = this;
    const warnings: string[] = [];
    let appliance: unknown = null;
    try {
      appliance = (await this.options.appliance?.()) ?? null;
    } catch (err) {
      warnings.push(`appliance status: ${(err as Error).message}`);
    }
    const current = store.cycles.current();
    const last = store.cycles.lastCompleted();
    const status = {
      current_cycle: current ? cycleJson(current) : null,
      last_completed_cycle: last ? cycleJson(last) : null,
      total_cycles: store.cycles.count(),
      environments: [...ENV_IDS],
      ...this.options.statusExtension?.(),
    };
    if (last && this.latestCache?.cycleId !== last.id) {
      const explanation = store.results.explanation(last.id);
      this.latestCache = {
        cycleId: last.id,
        scores: { cycle: cycleJson(last), scores: store.results.scoresForCycle(last.id).map(minerScoreJson) },
        detail: { points: explanation?.points ?? null, explanation: explanation?.explanation ?? null },
        failed: this.recentFailures(last.id),
        spotChecks: store.spotChecks.forCycle(last.id).map(spotCheckJson),
      };
    }
    const latest = last ? this.latestCache : null;
    const weights = store.results.latestWeights();
    const list = store.cycles.list({ limit: this.historyLimit, offset: 0 });
    return snapshotFromApi({
      origin: this.label,
      takenAt: new Date().toISOString(),
      status,
      appliance,
      currentStats: current ? statsJson(store.tasks.stats(current.id), current.id, executorLabels(store)) : null,
      currentFailedTasks: current ? this.recentFailures(current.id) : null,
      weights: weights ? weightsJson(weights, store.cycles.get(weights.cycleId)) : null,
      cycles: { total: list.total, cycles: list.cycles.map(cycleDetailJson) },
      environments: ENV_IDS.map((env_id) => ({ env_id })),
      latestScores: latest?.scores ?? null,
      latestDetail: latest?.detail ?? null,
      latestFailedTasks: latest?.failed ?? null,
      latestSpotChecks: latest?.spotChecks ?? null,
      warnings,
    });
  }
}
