/**
 * Task-pool throughput through the store on a real WAL file: single claims (one BEGIN IMMEDIATE each)
 * and batched claims, plus submits. Target: ≥ 20,000 tasks/s batched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/index.ts';
import { devInstance } from '../src/sim/instance.ts';

function seed(store: Store, n: number): void {
  const cycle = store.cycles.start({ blockNumber: 1, blockHash: null, envIds: ['metaworld/reach-v3'], episodesPerEnv: n });
  store.tasks.enqueue(
    cycle.id,
    Array.from({ length: n }, (_, i) => ({
      minerUid: i % 64,
      minerHotkey: `hk${i % 64}`,
      minerEndpoint: 'http://127.0.0.1:1',
      minerRepo: null,
      minerRevision: null,
      envId: 'metaworld/reach-v3',
      instance: devInstance(1, i),
      seed: i,
      episodeIndex: i,
    })),
  );
}

function measure(label: string, n: number, batch: number): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-bench-'));
  const store = Store.open(path.join(dir, 'bench.sqlite'));
  try {
    const t0 = performance.now();
    seed(store, n);
    const enqueueMs = performance.now() - t0;
    let claimed = 0;
    const uuids: string[] = [];
    const t1 = performance.now();
    for (;;) {
      const { tasks } = store.tasks.fetch({ executorId: 'bench', batchSize: batch });
      if (tasks.length === 0) break;
      claimed += tasks.length;
      for (const t of tasks) uuids.push(t.taskUuid);
    }
    const claimMs = performance.now() - t1;
    const t2 = performance.now();
    for (let i = 0; i < uuids.length; i += batch) {
      store.tasks.submit(
        'bench',
        uuids.slice(i, i + batch).map((taskUuid) => ({ taskUuid, success: true, score: 1, total_reward: 1, timesteps: 10, error: null })),
      );
    }
    const submitMs = performance.now() - t2;
    const rate = (count: number, ms: number) => Math.round((count / ms) * 1000).toLocaleString('en-US');
    console.log(
      `${label.padEnd(22)} enqueue ${rate(n, enqueueMs).padStart(9)} tasks/s   claim ${rate(claimed, claimMs).padStart(9)} tasks/s   submit ${rate(uuids.length, submitMs).padStart(9)} tasks/s`,
    );
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 20_000);
  console.log(`task pool, ${n.toLocaleString('en-US')} tasks, WAL + synchronous=NORMAL, one process`);
  measure('single (batch 1)', Math.min(n, 10_000), 1);
  for (const batch of [10, 32, 100]) measure(`batched (batch ${batch})`, n, batch);
}
