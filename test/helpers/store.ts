/** Test helpers: a fresh temporary SQLite store per test, and a controllable clock. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, type Clock } from '../../src/store/index.ts';
import { devInstance } from '../../src/sim/instance.ts';

export class ManualClock implements Clock {
  private ms: number;
  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.ms = start;
  }
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export function tempDir(prefix = 'kinitro-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TempStore {
  store: Store;
  clock: ManualClock;
  file: string;
  dir: string;
  cleanup(): void;
}

export function tempStore(): TempStore {
  const dir = tempDir();
  const file = path.join(dir, 'kinitro.sqlite');
  const clock = new ManualClock();
  const store = Store.open(file, { clock });
  return {
    store,
    clock,
    file,
    dir,
    cleanup() {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a running cycle with `perMiner` tasks for each of the given miner uids. */
export function seedCycle(store: Store, options: { uids?: number[]; envIds?: string[]; episodes?: number; block?: number } = {}) {
  const uids = options.uids ?? [1, 2];
  const envIds = options.envIds ?? ['metaworld/reach-v3', 'metaworld/push-v3'];
  const episodes = options.episodes ?? 2;
  const cycle = store.cycles.start({ blockNumber: options.block ?? 100, blockHash: '0xabc', envIds, episodesPerEnv: episodes });
  const tasks = uids.flatMap((uid) =>
    envIds.flatMap((envId) =>
      Array.from({ length: episodes }, (_, i) => ({
        minerUid: uid,
        minerHotkey: `hk${uid}`,
        minerEndpoint: `http://127.0.0.1:9/${uid}`,
        minerRepo: null,
        minerRevision: null,
        envId,
        seed: 1000 + i,
        instance: devInstance(1000 + i, 0),
        episodeIndex: i,
      })),
    ),
  );
  const uuids = store.tasks.enqueue(cycle.id, tasks);
  return { cycle, uuids };
}

/** Waits until `predicate` holds or the deadline passes (no fixed sleeps). */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const v = await predicate();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}
