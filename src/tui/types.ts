/**
 * What the dashboard shows, as one immutable snapshot. The TUI never owns state: a
 * `DashboardSource` produces snapshots, either remotely over the REST API or in-process from the
 * store, and every panel is a pure function of the latest snapshot and the wall clock.
 */

export type CycleStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface CycleSummary {
  id: number;
  blockNumber: number;
  blockHash: string | null;
  startedAt: string;
  completedAt: string | null;
  /** One of CycleStatus; kept as a string so an unknown future status still displays. */
  status: string;
  nMiners: number | null;
  nEnvironments: number | null;
  durationSeconds: number | null;
  errorMessage: string | null;
  envIds: string[] | null;
  episodesPerEnv: number | null;
}

export interface TaskStats {
  total: number;
  pending: number;
  assigned: number;
  completed: number;
  failed: number;
  activeExecutors: number;
  /** The cycle these counts cover; null means the whole pool. */
  cycleId: number | null;
}

export interface MinerEnvScore {
  uid: number;
  hotkey: string;
  envId: string;
  successRate: number;
  meanReward: number;
  episodesCompleted: number;
  episodesFailed: number;
}

export interface WeightsSnapshot {
  cycleId: number;
  blockNumber: number;
  timestamp: string | null;
  /** uid (decimal string) → normalised weight. */
  weights: Record<string, number>;
  u16: { uids: number[]; values: number[] };
}

export interface ChainSubmission {
  block: number | null;
  at: string | null;
  uids: number[];
  values: number[];
  /** e.g. 'ok', 'failed', 'skipped'; free text from the validator. */
  outcome: string | null;
  error: string | null;
}

/** The appliance extension (`GET /v1/appliance`). Every part may be missing on older servers. */
export interface ApplianceInfo {
  version: string | null;
  chain: { mode: string | null; endpoint: string | null; netuid: number | null; block: number | null; blockHash: string | null } | null;
  validator: { enabled: boolean; hotkey: string | null; lastSubmission: ChainSubmission | null } | null;
  executors: { inProcessWorkers: number | null; activeEpisodes: number | null; stepsPerSecond: number | null; remoteExecutors: number | null } | null;
  scheduler: { cron: string | null; nextRun: string | null; running: boolean | null } | null;
}

/** A failed task with its error, for the "recent errors" lists. */
export interface FailedTask {
  taskUuid: string;
  cycleId: number;
  minerUid: number;
  envId: string;
  episodeIndex: number | null;
  error: string | null;
  completedAt: string | null;
}

export interface CycleResultsView {
  cycle: CycleSummary;
  scores: MinerEnvScore[];
  /** uid → points from the scoring step; null when the server kept none. */
  points: Record<string, number> | null;
  /** The scoring explanation (src/scoring/explain.ts), opaque here: views parse it defensively. */
  explanation: unknown;
  /** Failed tasks of this cycle, newest first (bounded). */
  failures: FailedTask[];
  /** This cycle's deployment spot checks (absent from servers without them). */
  spotChecks?: SpotCheckView[];
}

export interface SpotCheckView {
  uid: number;
  outcome: 'verified' | 'mismatch' | 'unverifiable';
  reason: string | null;
}

/** The capacity model's estimate of the running cycle (`cycle_estimate` in `/v1/status`). */
export interface CycleEstimateView {
  cycleId: number;
  estimatedSeconds: number;
  remainingSeconds: number;
  timeoutSeconds: number;
  /** False: the cycle is estimated to miss its timeout. */
  fits: boolean;
  /** What limits it: 'miner', 'executor-cpu', 'executor-slots' (free text from the server). */
  bottleneck: string;
}

export interface DashboardSnapshot {
  /** When the snapshot was taken (ISO 8601). */
  takenAt: string;
  /** Where it came from, for the header: an API URL or "in-process". */
  origin: string;
  /** null when the server has no appliance extension (shown as "n/a"). */
  appliance: ApplianceInfo | null;
  currentCycle: CycleSummary | null;
  /** Task counts of the current cycle; null when no cycle runs. */
  currentStats: TaskStats | null;
  /** The running cycle's estimated duration; null when the server gives none. */
  cycleEstimate?: CycleEstimateView | null;
  /** Failed tasks of the running cycle, newest first (bounded). */
  currentFailures: FailedTask[];
  lastCompletedCycle: CycleSummary | null;
  /** The latest completed cycle's scores, points and explanation; null before the first one. */
  latest: CycleResultsView | null;
  weights: WeightsSnapshot | null;
  /** Recent cycles, newest first. */
  cycles: CycleSummary[];
  totalCycles: number;
  /** Registered environment ids, registry order. */
  environments: string[];
  /** Parts that could not be read this time (the rest of the snapshot is still valid). */
  warnings: string[];
  /** A status line for the cycle panel when no cycle runs, e.g. "starting the appliance…". */
  notice?: string | null;
}

/** Produces snapshots. Implementations must be safe to call repeatedly; the dashboard never overlaps calls. */
export interface DashboardSource {
  snapshot(): Promise<DashboardSnapshot>;
  /** A short label for the header, e.g. the API URL. */
  readonly label?: string;
  /** Releases connections or timers, if any. */
  close?(): Promise<void> | void;
}
