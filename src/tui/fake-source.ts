/**
 * A DashboardSource for tests and demos: serves whatever snapshot it is given, can be made to
 * fail or to hold a snapshot open, and counts calls (to check the dashboard never overlaps them).
 */
import { ENV_IDS } from '../sim/registry.ts';
import type { CycleSummary, DashboardSnapshot, DashboardSource } from './types.ts';
import { VERSION } from '../version.ts';

export class FakeDashboardSource implements DashboardSource {
  readonly label = 'fake';
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  private current: DashboardSnapshot;
  private failure: Error | null = null;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  constructor(snapshot: DashboardSnapshot = emptySnapshot()) {
    this.current = snapshot;
  }

  set(snapshot: DashboardSnapshot): void {
    this.current = snapshot;
    this.failure = null;
  }

  /** Makes the following snapshots fail with `message` until set() is called. */
  fail(message: string): void {
    this.failure = new Error(message);
  }

  /** Holds every snapshot call open until release() (to test overlap and slow sources). */
  hold(): void {
    if (!this.gate) this.gate = new Promise((r) => (this.openGate = r));
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
    this.openGate = null;
  }

  async snapshot(): Promise<DashboardSnapshot> {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate;
      if (this.failure) throw this.failure;
      return { ...this.current, takenAt: new Date().toISOString() };
    } finally {
      this.inFlight--;
    }
  }
}

export function emptySnapshot(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return {
    takenAt: new Date(0).toISOString(),
    origin: 'fake',
    appliance: null,
    currentCycle: null,
    currentStats: null,
    currentFailures: [],
    lastCompletedCycle: null,
    latest: null,
    weights: null,
    cycles: [],
    totalCycles: 0,
    environments: [],
    warnings: [],
    ...overrides,
  };
}

export function fakeCycle(id: number, overrides: Partial<CycleSummary> = {}): CycleSummary {
  return {
    id,
    blockNumber: 1000 + id * 10,
    blockHash: `0x${id.toString(16).padStart(4, '0')}`,
    startedAt: new Date(Date.UTC(2026, 0, 1, 12, id)).toISOString(),
    completedAt: null,
    status: 'running',
    nMiners: null,
    nEnvironments: null,
    durationSeconds: null,
    errorMessage: null,
    envIds: null,
    episodesPerEnv: null,
    ...overrides,
  };
}

export interface SampleOptions {
  uids?: number[];
  envIds?: string[];
  /** uid → env → success rate; default a fixed, varied pattern. */
  rates?: (uid: number, envIndex: number) => number;
  points?: Record<string, number> | null;
  weights?: Record<string, number>;
  weightsU16?: { uids: number[]; values: number[] };
  explanation?: unknown;
}

const SAMPLE_ENVS: string[] = [...ENV_IDS];

/**
 * A busy appliance at `nowMs`: cycle 12 running (26 of 64 tasks done), cycle 11 completed with
 * scores and weights, cycle 10 failed, a validator that set weights two minutes ago.
 */
export function sampleSnapshot(nowMs: number, o: SampleOptions = {}): DashboardSnapshot {
  const uids = o.uids ?? [3, 7, 12, 41];
  const envIds = o.envIds ?? SAMPLE_ENVS;
  const rate = o.rates ?? ((uid: number, j: number) => ((uid * 7 + j * 13) % 11) / 10);
  const iso = (seconds: number) => new Date(nowMs + seconds * 1000).toISOString();
  const shape = { nMiners: uids.length, nEnvironments: envIds.length, envIds, episodesPerEnv: 2 };
  const last = fakeCycle(11, { status: 'completed', startedAt: iso(-400), completedAt: iso(-250), durationSeconds: 150, ...shape });
  const current = fakeCycle(12, { startedAt: iso(-80), ...shape });
  const failed = fakeCycle(10, {
    status: 'failed',
    startedAt: iso(-700),
    completedAt: iso(-700),
    durationSeconds: 0.2,
    errorMessage: 'no miners discovered',
    nMiners: 0,
  });
  const weights = o.weights ?? Object.fromEntries(uids.map((uid, i) => [String(uid), i === 0 ? 0.7 : 0.3 / Math.max(1, uids.length - 1)]));
  const u16 = o.weightsU16 ?? {
    uids: [...uids].sort((a, b) => a - b),
    values: [...uids].sort((a, b) => a - b).map((uid) => Math.round((weights[String(uid)] ?? 0) * 65535)),
  };
  return emptySnapshot({
    takenAt: iso(0),
    origin: 'http://127.0.0.1:8000',
    appliance: {
      version: VERSION,
      chain: { mode: 'local', endpoint: null, netuid: 2, block: 1234, blockHash: '0xabc' },
      validator: {
        enabled: true,
        hotkey: '5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX',
        lastSubmission: { block: 1230, at: iso(-120), uids: u16.uids, values: u16.values, outcome: 'ok', error: null },
      },
      executors: { inProcessWorkers: 2, activeEpisodes: 16, stepsPerSecond: 1234.5, remoteExecutors: 1 },
      scheduler: { cron: '*/5 * * * *', nextRun: iso(200), running: true },
    },
    currentCycle: current,
    currentStats: { total: 64, pending: 30, assigned: 8, completed: 20, failed: 6, activeExecutors: 2, cycleId: 12 },
    currentFailures: [
      {
        taskUuid: 'f-1',
        cycleId: 12,
        minerUid: uids[1] ?? uids[0]!,
        envId: envIds[1] ?? envIds[0]!,
        episodeIndex: 1,
        error: 'Miner action timeout at step 4',
        completedAt: iso(-10),
      },
    ],
    lastCompletedCycle: last,
    latest: {
      cycle: last,
      scores: uids.flatMap((uid) =>
        envIds.map((envId, j) => ({
          uid,
          hotkey: `5Hotkey${uid}${'x'.repeat(40)}`,
          envId,
          successRate: rate(uid, j),
          meanReward: 3.25,
          episodesCompleted: 2,
          episodesFailed: 0,
        })),
      ),
      points: o.points === undefined ? Object.fromEntries(uids.map((uid, i) => [String(uid), i === 0 ? 40 : 4])) : o.points,
      explanation: o.explanation ?? null,
      failures: [{ taskUuid: 'f-0', cycleId: 11, minerUid: uids[0]!, envId: envIds[0]!, episodeIndex: 0, error: 'connection refused', completedAt: iso(-300) }],
    },
    weights: { cycleId: 11, blockNumber: 1110, timestamp: iso(-250), weights, u16 },
    cycles: [current, last, failed],
    totalCycles: 3,
    environments: SAMPLE_ENVS,
  });
}
