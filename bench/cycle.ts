/**
 * A benchmark cycle: simulated miners with a fixed latency and a declared capacity, evaluated by the
 * appliance's own in-process executors from its own task pool, with the subnet's per-miner episode
 * counts scaled down. Reports episodes per hour per miner, evaluated steps per second, timeouts
 * charged (must be 0 for miners under the deadline), where the CPU went, and the capacity model's
 * estimate against the measured duration.
 *
 *   npm run bench -- cycle [--latency 10,30,100] [--miners 4] [--capacity 8] [--silent 0]
 *                          [--episodes 2] [--steps 100] [--workers 2] [--no-images]
 *   npm run bench -- cycle --burst 12,24 [--latency 450]     12 (then 24) episodes starting together
 *   npm run bench -- cycle --model                            the sizing table of docs/executors.md
 *
 * `--capacity C` is what each miner declares in GET /health (`max_concurrent_episodes`); `--silent K`
 * makes K more miners that declare nothing (one episode at a time). The simulated miners run in a
 * child process (like miners on their own machines, they do not share our event loops; they do share
 * the CPU) and parse every observation, as a real server must.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/index.ts';
import { startInProcessExecutors, type EpisodeOutcome, type ExecutorPool, type PoolStats } from '../src/executor/index.ts';
import { ExecutorPool as Pool } from '../src/executor/pool.ts';
import { ListTaskSource } from '../src/executor/task-source.ts';
import type { ExecutorTask } from '../src/executor/types.ts';
import { CapacityMonitor } from '../src/cycle/capacity-monitor.ts';
import { executorMeasuresOf } from '../src/appliance/services.ts';
import { minerEpisodesPerHour, minersPerBoxHour } from '../src/cycle/capacity.ts';
import { ENV_IDS } from '../src/sim/registry.ts';
import { benchFamily, benchInstance, familiesLine, loadLine, warnIfLoaded } from './instances.ts';

/** N policy servers in one process, each answering /act after `latency` ms; GET /stats reports their own reply times. */
const MINERS_SOURCE = `
import http from 'node:http';
const specs = JSON.parse(process.argv[1]);
const action = JSON.stringify({ action: { continuous: { ee_twist: [0, 0, 0, 0, 0, 0], gripper: [0] }, discrete: {}, extra: {} } });
const stats = [];
const ports = [];
for (const spec of specs) {
  const s = { acts: 0, maxReplyMs: 0, inFlight: 0, peakInFlight: 0 };
  stats.push(s);
  const server = http.createServer({ noDelay: true }, (req, res) => {
    const received = performance.now();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'healthy', model_loaded: true, uptime_seconds: 1, ...(spec.capacity ? { max_concurrent_episodes: spec.capacity } : {}) }));
        return;
      }
      if (req.url === '/stats') {
        res.end(JSON.stringify({ stats, cpu: process.cpuUsage() }));
        // Peaks start over with each reading (a run reads before and after).
        for (const x of stats) { x.maxReplyMs = 0; x.peakInFlight = x.inFlight; }
        return;
      }
      JSON.parse(body || '{}');
      if (req.url === '/reset') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok","episode_id":null}'); return; }
      s.acts++;
      s.inFlight++;
      s.peakInFlight = Math.max(s.peakInFlight, s.inFlight);
      const reply = () => {
        s.inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(action);
        s.maxReplyMs = Math.max(s.maxReplyMs, performance.now() - received);
      };
      if (spec.latency > 0) setTimeout(reply, spec.latency); else reply();
    });
  });
  server.keepAliveTimeout = 60000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  ports.push(server.address().port);
}
console.log(JSON.stringify(ports));
`;

interface MinerSpec {
  latency: number;
  capacity: number | null;
}

interface MinerProcess {
  urls: string[];
  child: ChildProcess;
  stats(): Promise<{ stats: { acts: number; maxReplyMs: number; peakInFlight: number }[]; cpuMs: number }>;
}

async function startMiners(specs: MinerSpec[]): Promise<MinerProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', MINERS_SOURCE, JSON.stringify(specs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const ports = JSON.parse(chunk.toString().trim()) as number[];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  return {
    urls,
    child,
    async stats() {
      const body = (await (await fetch(`${urls[0]}/stats`)).json()) as {
        stats: { acts: number; maxReplyMs: number; peakInFlight: number }[];
        cpu: { user: number; system: number };
      };
      return { stats: body.stats, cpuMs: (body.cpu.user + body.cpu.system) / 1000 };
    },
  };
}

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

const numbers = (s: string) =>
  s
    .split(',')
    .map(Number)
    .filter((x) => Number.isFinite(x));

interface CycleRun {
  /** performance.now() when the cycle's tasks were enqueued. */
  startedAt: number;
  seconds: number;
  estimateSeconds: number | null;
  estimateBottleneck: string | null;
  outcomes: Finished[];
  steps: number;
  start: PoolStats;
  end: PoolStats;
  mainCpuMs: number;
  /** CPU of this whole process (executor threads, store, main) over the cycle, ms. */
  processCpuMs: number;
}

/** One cycle of `episodes` per env per miner through the store and in-process executors. */
type Finished = { task: ExecutorTask; outcome: EpisodeOutcome; at: number };

async function runCycle(store: Store, pool: ExecutorPool, urls: string[], episodes: number, steps: number, block: number, sink: Finished[]): Promise<CycleRun> {
  const cycle = store.cycles.start({ blockNumber: block, blockHash: `0x${block.toString(16)}`, envIds: [...ENV_IDS], episodesPerEnv: episodes });
  const tasks = [];
  // Episode-major, then env, then miner: the order the scheduler enqueues in.
  for (let e = 0; e < episodes; e++) {
    for (const envId of ENV_IDS) {
      for (let m = 0; m < urls.length; m++) {
        tasks.push({
          minerUid: m,
          minerHotkey: `hk${m}`,
          minerEndpoint: urls[m]!,
          minerRepo: null,
          minerRevision: null,
          envId,
          seed: block * 1000 + e,
          instance: benchInstance(envId, block * 1000 + e),
          episodeIndex: e,
        });
      }
    }
  }
  const monitor = new CapacityMonitor(store, () => executorMeasuresOf(pool), { maxSteps: steps });
  sink.length = 0;
  const start = pool.stats();
  const cpu0 = performance.eventLoopUtilization();
  const process0 = process.cpuUsage();
  const started = performance.now();
  store.tasks.enqueue(cycle.id, tasks);
  const estimate = monitor.estimate(cycle, 7200, 'start', new Date()).estimate;
  pool.wake();
  while (!store.tasks.isCycleDone(cycle.id)) await new Promise((r) => setTimeout(r, 100));
  const seconds = (performance.now() - started) / 1000;
  const end = pool.stats();
  return {
    startedAt: started,
    seconds,
    estimateSeconds: estimate.totalSeconds,
    estimateBottleneck: estimate.bottleneck,
    outcomes: [...sink],
    steps: end.steps - start.steps,
    start,
    end,
    mainCpuMs: performance.eventLoopUtilization(cpu0).active,
    processCpuMs: ((u) => (u.user + u.system) / 1000)(process.cpuUsage(process0)),
  };
}

function cpuSplit(run: CycleRun, minerCpuMs: number): string {
  const d = (f: (s: PoolStats) => number) => f(run.end) - f(run.start);
  const per = (ms: number) => (ms / Math.max(1, run.steps)).toFixed(3);
  const sim = d((s) => s.simMs),
    render = d((s) => s.renderMs),
    encode = d((s) => s.encodeMs),
    busy = d((s) => s.workerActiveMs);
  return (
    `CPU per step (ms): this process ${per(run.processCpuMs)} + miners' process ${per(minerCpuMs)}; ` +
    `busy time per step (event-loop time, inflated while threads wait for a core): worker ${per(busy)} (sim ${per(sim)}, images ${per(render)}, JSON ${per(encode)}, other ${per(Math.max(0, busy - sim - render - encode))}), ` +
    `miner I/O ${per(d((s) => s.ioActiveMs))}, main thread ${per(run.mainCpuMs)}`
  );
}

async function cycleMode(args: string[]): Promise<void> {
  const latencies = numbers(arg(args, 'latency', '10,30,100'));
  const nMiners = Number(arg(args, 'miners', '4'));
  const capacity = Number(arg(args, 'capacity', '8'));
  const silent = Number(arg(args, 'silent', '0'));
  const episodes = Number(arg(args, 'episodes', '2'));
  const steps = Number(arg(args, 'steps', '100'));
  const workers = Number(arg(args, 'workers', String(Math.min(2, os.availableParallelism()))));
  const images = !args.includes('--no-images');
  console.log(
    `cycle benchmark: ${loadLine()}; ${nMiners} miner(s) declaring ${capacity} + ${silent} declaring nothing; ${episodes} episode(s) × ${ENV_IDS.length} envs per miner ` +
      `(subnet: 50 × 8), ${steps} steps each (no early end), ${workers} worker(s), ${images ? 'images' : 'no images'}; ${familiesLine()}`,
  );
  warnIfLoaded();
  for (const latency of latencies) {
    const specs: MinerSpec[] = [
      ...Array.from({ length: nMiners }, () => ({ latency, capacity })),
      ...Array.from({ length: silent }, () => ({ latency, capacity: null })),
    ];
    const miners = await startMiners(specs);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-bench-cycle-'));
    const store = Store.open(path.join(dir, 'bench.db'));
    const sink: Finished[] = [];
    const pool = await startInProcessExecutors({
      store,
      workers,
      pollIntervalMs: 100,
      settings: { maxSteps: steps, endOnSuccess: false, useImages: images, allowPrivateEndpoints: true },
      onOutcome: (outcome, task) => void sink.push({ task, outcome, at: performance.now() }),
    });
    try {
      // A short warm-up cycle: the executors meet the miners (capacity, latency) and the JIT warms up,
      // as after the first cycle of a running appliance.
      await runCycle(store, pool, miners.urls, 1, Math.min(steps, 30), 1, sink);
      const before = await miners.stats();
      const run = await runCycle(store, pool, miners.urls, episodes, steps, 2, sink);
      const after = await miners.stats();
      const perMiner = specs.map((spec, m) => {
        const mine = run.outcomes.filter((o) => o.task.minerUid === m && o.outcome.fault !== 'executor');
        // The time its own episodes took: from the cycle's start to its last episode's end.
        const span = (Math.max(run.startedAt, ...mine.map((o) => o.at)) - run.startedAt) / 1000;
        return {
          spec,
          episodes: mine.length,
          span,
          peak: after.stats[m]!.peakInFlight,
          maxReply: after.stats[m]!.maxReplyMs,
          timeouts: mine.filter((o) => o.outcome.error?.startsWith('Miner action timeout')).length,
        };
      });
      const timeouts = run.outcomes.filter(
        (o) => o.outcome.error?.startsWith('Miner action timeout') || o.outcome.error?.startsWith('Miner reset failed: TimeoutException'),
      ).length;
      const executorFaults = run.outcomes.filter((o) => o.outcome.fault === 'executor').length;
      const maxMeasured = Math.max(0, ...run.outcomes.map((o) => o.outcome.maxActionLatencyMs ?? 0));
      const declaring = perMiner.filter((m) => m.spec.capacity !== null);
      const silentOnes = perMiner.filter((m) => m.spec.capacity === null);
      // Episodes per hour per miner: its episodes over the time its own episodes took.
      const eph = (m: (typeof perMiner)[number]) => (m.episodes / Math.max(1e-3, m.span)) * 3600;
      console.log(
        `\nlatency ${latency} ms: cycle of ${run.outcomes.length} episodes in ${run.seconds.toFixed(1)} s, ${Math.round(run.steps / run.seconds)} steps/s; ${loadLine()}`,
      );
      const estimateError = run.estimateSeconds === null ? null : (run.estimateSeconds - run.seconds) / run.seconds;
      console.log(
        `  capacity model at the start: ${run.estimateSeconds?.toFixed(1)} s (${run.estimateBottleneck}), ` +
          `${estimateError === null ? '' : `${estimateError >= 0 ? '+' : ''}${(100 * estimateError).toFixed(0)} % vs measured`}`,
      );
      for (const [label, group] of [
        [`declaring ${capacity}`, declaring],
        ['declaring nothing', silentOnes],
      ] as const) {
        if (group.length === 0) continue;
        const mean = group.reduce((n, m) => n + eph(m), 0) / group.length;
        console.log(
          `  ${label}: ${Math.round(mean)} episodes/hour per miner (of ${steps} steps; ${Math.round(mean * (steps / 500))} of 500 steps), ` +
            `peak in flight ${Math.max(...group.map((m) => m.peak))}, timeouts ${group.reduce((n, m) => n + m.timeouts, 0)}, miner's own max reply ${Math.max(...group.map((m) => m.maxReply)).toFixed(1)} ms`,
        );
      }
      if (declaring.length > 0 && silentOnes.length > 0) {
        const ratio = declaring.reduce((n, m) => n + eph(m), 0) / declaring.length / (silentOnes.reduce((n, m) => n + eph(m), 0) / silentOnes.length);
        console.log(`  declaring / silent episodes per hour: ${ratio.toFixed(1)}×`);
      }
      console.log(`  timeouts charged ${timeouts}, executor faults ${executorFaults}, max measured miner time ${maxMeasured.toFixed(1)} ms`);
      console.log(`  ${cpuSplit(run, after.cpuMs - before.cpuMs)}`);
    } finally {
      await pool.stop({ drainTimeoutMs: 0 });
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
      miners.child.kill();
    }
  }
  console.log(`\ndone: ${loadLine()}`);
}

/** Episodes starting together against one slow miner that declares room for all of them. */
async function burstMode(args: string[]): Promise<void> {
  const bursts = numbers(arg(args, 'burst', '12,24'));
  const latency = Number(arg(args, 'latency', '450'));
  const steps = Number(arg(args, 'steps', '20'));
  const workers = Number(arg(args, 'workers', String(Math.min(2, os.availableParallelism()))));
  const rounds = Number(arg(args, 'rounds', '3'));
  console.log(
    `burst benchmark: ${loadLine()}; a ${latency} ms miner (deadline 500 ms), ${steps} steps per episode, ${workers} worker(s), images on; ${familiesLine()}`,
  );
  warnIfLoaded();
  for (const burst of bursts) {
    for (let round = 0; round < rounds; round++) {
      const miners = await startMiners([{ latency, capacity: burst }]);
      const url = miners.urls[0]!;
      const tasks: ExecutorTask[] = Array.from({ length: burst }, (_, i) => ({
        taskUuid: `b${i}`,
        minerUid: 0,
        minerEndpoint: url,
        envId: ENV_IDS[i % ENV_IDS.length]!,
        seed: i,
        instance: benchInstance(ENV_IDS[i % ENV_IDS.length]!, 100 * round + i),
        untrustedEndpoint: false,
      }));
      const source = new ListTaskSource(tasks);
      // A fresh pool each round: every episode starts cold, together (the hard case: environments are
      // built and reset while the first observations go out).
      const pool = await Pool.start({
        source,
        workers,
        maxEpisodesPerMiner: burst,
        maxConcurrentPerWorker: Math.max(16, Math.ceil(burst / workers)),
        batchSize: 100,
        pollIntervalMs: 50,
        reportDelayMs: 20,
        settings: { maxSteps: steps, endOnSuccess: false, allowPrivateEndpoints: true },
      });
      try {
        await pool.whenDrained();
      } finally {
        await pool.stop({ drainTimeoutMs: 0 });
      }
      const stats = await miners.stats();
      miners.child.kill();
      const outcomes = [...source.outcomes.values()];
      const timeouts = outcomes.filter((o) => o.error?.includes('timeout') || o.error?.includes('Timeout')).length;
      const maxMeasured = Math.max(0, ...outcomes.map((o) => o.maxActionLatencyMs ?? 0));
      const stalls = outcomes.reduce((n, o) => n + o.timings.stalls, 0);
      console.log(
        `  ${String(burst).padStart(2)} together, round ${round + 1}: timeouts charged ${timeouts}/${burst}, executor faults ${outcomes.filter((o) => o.fault === 'executor').length}, ` +
          `peak in flight ${stats.stats[0]!.peakInFlight}, max measured miner time ${maxMeasured.toFixed(1)} ms (the miner's own max reply ${stats.stats[0]!.maxReplyMs.toFixed(1)} ms), answers taken after a stall of ours ${stalls}; ${loadLine()}`,
      );
    }
  }
}

/** The sizing table: what one box and one miner achieve at given latencies, from the capacity model. */
function modelMode(args: string[]): void {
  const cpu = Number(arg(args, 'cpu', '1.0'));
  const cores = Number(arg(args, 'cores', '2'));
  const overhead = Number(arg(args, 'overhead', '1.5'));
  const steps = Number(arg(args, 'steps', '500'));
  const perCycle = Number(arg(args, 'episodes', '400'));
  console.log(
    `capacity model: ${cpu} ms CPU per step, ${cores} simulating cores per box, ${overhead} ms of our turnaround per step, ${steps} steps per episode, ${perCycle} episodes per miner per cycle`,
  );
  console.log(
    `one box evaluates at most ${Math.round(minersPerBoxHour(perCycle, steps, cpu, cores) * 10) / 10} miners' cycles per hour (CPU-bound, any latency)`,
  );
  console.log("latency   episodes/hour per miner at concurrency 1 / 4 / 8 / 16     hours for one miner's cycle at 1 / 8");
  for (const latency of [5, 10, 18, 30, 50, 100, 250]) {
    const eph = [1, 4, 8, 16].map((c) => minerEpisodesPerHour(steps, latency + overhead, c));
    console.log(
      `${String(latency).padStart(5)} ms   ${eph.map((x) => String(Math.round(x)).padStart(6)).join(' ')}                 ${(perCycle / eph[0]!).toFixed(2).padStart(6)} / ${(perCycle / eph[2]!).toFixed(2)}`,
    );
  }
}

/**
 * The appliance with its demo miners, killed with SIGKILL mid-cycle and restarted: the resumed cycle
 * must charge no timeouts to miners that answer in milliseconds.
 */
async function resumeMode(args: string[]): Promise<void> {
  const demo = Number(arg(args, 'demo-miners', '3'));
  const episodes = Number(arg(args, 'episodes', '3'));
  const steps = Number(arg(args, 'steps', '150'));
  const kills = Number(arg(args, 'kills', '1'));
  const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'kinitro.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-bench-resume-'));
  const db = path.join(dir, 'k.sqlite');
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  // The appliance runs one family: cued once every cued scene exists, MetaWorld's until then.
  const family = ENV_IDS.every((id) => benchFamily(id) === 'cued') ? 'cued' : 'metaworld';
  const argv = [
    'start',
    '--no-tui',
    '--db',
    db,
    '--port',
    String(port),
    '--demo-miners',
    String(demo),
    '--episodes-per-env',
    String(episodes),
    '--max-steps',
    String(steps),
    '--randomization',
    family,
    '--no-validate',
    '--cycle-cron',
    '0 0 1 1 *',
    '--log-level',
    'warn',
  ];
  console.log(
    `resume benchmark: ${loadLine()}; ${demo} demo miners, ${episodes} episode(s) × ${ENV_IDS.length} envs each (${family}), ${steps} steps, ${kills} kill -9`,
  );
  warnIfLoaded();
  const stats = async () => {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/tasks/stats?cycle_id=1`);
      return r.ok ? ((await r.json()) as { total_tasks: number; completed_tasks: number; failed_tasks: number }) : null;
    } catch {
      return null;
    }
  };
  const log: string[] = [];
  const start = () => {
    const child = spawn(process.execPath, [bin, ...argv], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => log.push(String(d)));
    child.stderr!.on('data', (d) => log.push(String(d)));
    return child;
  };
  const started = performance.now();
  let child = start();
  for (let k = 0; k < kills; k++) {
    // Kill once about a third (then two thirds…) of the cycle is done.
    let at: Awaited<ReturnType<typeof stats>> = null;
    for (;;) {
      at = await stats();
      if (at && at.total_tasks > 0 && at.completed_tasks + at.failed_tasks >= ((k + 1) * at.total_tasks) / (kills + 2)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    await once(child, 'close');
    console.log(
      `  killed with SIGKILL with ${at!.completed_tasks + at!.failed_tasks}/${at!.total_tasks} episodes done (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
    child = start();
  }
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/cycles/1`);
      if (r.ok && ((await r.json()) as { status: string }).status !== 'running') break;
    } catch {
      /* restarting */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill('SIGTERM');
  await once(child, 'close');
  const store = Store.open(db);
  try {
    const tasks = store.tasks.listForCycle(1, { limit: 100_000, offset: 0 }).tasks;
    const errors = new Map<string, number>();
    for (const task of tasks) {
      const error = (task.result as { error?: string | null } | null)?.error ?? (task.fault === 'executor' ? `executor fault: ${task.lastError}` : null);
      if (error) {
        const kind = error.replace(/ at step \d+/, '');
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
      }
    }
    const timeouts = [...errors].filter(([e]) => /timeout|Timeout/.test(e)).reduce((n, [, c]) => n + c, 0);
    console.log(
      `  cycle ${store.cycles.get(1)!.status} after ${((performance.now() - started) / 1000).toFixed(0)} s: ${tasks.length} episodes, timeouts charged ${timeouts}`,
    );
    for (const [e, n] of errors) console.log(`    ${n} × ${e}`);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`done: ${loadLine()}`);
}

export default async function run(args: string[]): Promise<void> {
  if (args.includes('--model')) return modelMode(args);
  if (args.includes('--resume')) return resumeMode(args);
  if (args.includes('--burst')) return burstMode(args);
  return cycleMode(args);
}
