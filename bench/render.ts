/**
 * Camera rendering cost: `npm run bench -- render [--size 84] [--trials 9] [--scene env|fixture|both]`.
 *
 * For each path (pruned TypeScript caster, gpu.js webasm, gpu.js cpu, gpu.js without tile lists, and
 * the naive every-geom-every-pixel caster) it times whole renderer calls (read the model/data, prepare
 * the views, cast, unpack) for one step of 2 cameras and for batches of 16 images (8 scenes × 2
 * cameras), and gpu.js 'async' (webasm on a worker pool). Prints ms per image as "best / median" over trials, in process CPU time (stabler than
 * wall time on a shared machine) and wall time.
 *
 * `--scene steps [--steps 150] [--trials 5] [--cache on|off] [--observe]`: instead, per environment and per family (cued,
 * metaworld), runs an episode with a fixed pseudo-random action sequence and times only the default
 * renderer's call for both cameras after each step (`render`, or `observeWire` with the wire JSON;
 * each step's fastest of `--trials` identical runs) (CPU time, ms per step, mean and median), with the
 * primitive counts, how often the static picture was reused, the env.step (physics) CPU time, and an FNV-1a hash of every image so two
 * versions of the caster can be checked for byte-identical output.
 */
import { CameraRenderer, type RenderScene } from '../src/sim/render/index.ts';
import type { FixtureScene } from '../test/fixtures/render-scene.ts';
import { renderViewNaive } from '../src/sim/render/raycast-ts.ts';
import { SceneSnapshot } from '../src/sim/render/scene-snapshot.ts';
import { ViewBatch, prepareView } from '../src/sim/render/view-batch.ts';
import { detectGpuMode } from '../src/sim/render/camera-renderer.ts';
import { loadRenderFixture } from '../test/fixtures/render-scene.ts';
import { devInstance } from '../src/sim/instance.ts';

interface Timing {
  cpu: number[];
  wall: number[];
}

function measure(fn: () => void, images: number, trials: number, budgetMs = 150): Timing {
  fn(); // kernel compile
  for (const end = performance.now() + 200; performance.now() < end;) fn(); // let the JIT settle
  const t0 = performance.now();
  fn();
  const once = Math.max(performance.now() - t0, 0.01);
  const reps = Math.max(1, Math.min(500, Math.round(budgetMs / once)));
  const cpu: number[] = [],
    wall: number[] = [];
  for (let t = 0; t < trials; t++) {
    const c0 = process.cpuUsage(),
      w0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / reps / images);
    wall.push((performance.now() - w0) / reps / images);
  }
  return { cpu: cpu.sort((a, b) => a - b), wall: wall.sort((a, b) => a - b) };
}

async function measureAsync(fn: () => Promise<unknown>, images: number, trials: number, budgetMs = 150): Promise<Timing> {
  await fn();
  for (const end = performance.now() + 200; performance.now() < end;) await fn();
  const t0 = performance.now();
  await fn();
  const once = Math.max(performance.now() - t0, 0.01);
  const reps = Math.max(1, Math.min(500, Math.round(budgetMs / once)));
  const cpu: number[] = [],
    wall: number[] = [];
  for (let t = 0; t < trials; t++) {
    const c0 = process.cpuUsage(),
      w0 = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / reps / images);
    wall.push((performance.now() - w0) / reps / images);
  }
  return { cpu: cpu.sort((a, b) => a - b), wall: wall.sort((a, b) => a - b) };
}

const fmt = (xs: number[]) => `${xs[0]!.toFixed(3)} / ${xs[Math.floor(xs.length / 2)]!.toFixed(3)}`;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

async function envScenes(count: number): Promise<{ label: string; scenes: RenderScene[]; close(): void } | undefined> {
  try {
    const { ManipulationEnv } = await import('../src/sim/env.ts');
    const { generateTask } = await import('../src/sim/tasks.ts');
    const { ENV_IDS } = await import('../src/sim/registry.ts');
    const envs: InstanceType<typeof ManipulationEnv>[] = [];
    const families = new Set<string>();
    for (let i = 0; i < count; i++) {
      const envId = ENV_IDS[i % ENV_IDS.length]!;
      // The default (cued) family where its scene exists; MetaWorld's otherwise.
      let env: InstanceType<typeof ManipulationEnv>;
      let randomization: 'cued' | 'metaworld' = 'cued';
      try {
        env = await ManipulationEnv.create(envId, { images: false, randomization });
      } catch {
        randomization = 'metaworld';
        env = await ManipulationEnv.create(envId, { images: false, randomization });
      }
      families.add(randomization);
      env.reset(generateTask(envId, devInstance(1, i, randomization)));
      envs.push(env);
    }
    const ngeom = envs.map((e) => e.model.ngeom);
    return {
      label: `simulator scenes (all 8 tasks, ${[...families].join(' + ')}, ${Math.min(...ngeom)}–${Math.max(...ngeom)} geoms)`,
      scenes: envs,
      close: () => envs.forEach((e) => e.close()),
    };
  } catch (err) {
    process.stdout.write(`(simulator scenes unavailable: ${(err as Error).message})\n`);
    return undefined;
  }
}

async function fixtureScenes(count: number) {
  const scenes: FixtureScene[] = [];
  for (let i = 0; i < count; i++) {
    const s = await loadRenderFixture();
    s.data.mocap_pos[0] += 0.02 * i;
    s.forward();
    scenes.push(s);
  }
  return { label: `fixture scene (${scenes[0]!.model.ngeom} geoms, 2 sites)`, scenes: scenes as RenderScene[], close: () => scenes.forEach((s) => s.close()) };
}

/** Per-env, per-family cost of rendering both cameras after each step of an episode. */
async function stepScenes(size: number, steps: number, cache: boolean, observe: boolean, trials: number): Promise<void> {
  const { ManipulationEnv } = await import('../src/sim/env.ts');
  const { generateTask } = await import('../src/sim/tasks.ts');
  const { ENV_IDS } = await import('../src/sim/registry.ts');
  const { execSync } = await import('node:child_process');
  process.stdout.write(
    `render both cameras per step, ${size}×${size}, ${steps} steps, static cache ${cache ? 'on' : 'off'}, timing ${observe ? 'observeWire (render + wire JSON)' : 'render'}; load: ${execSync('uptime').toString().trim()}\n`,
  );
  process.stdout.write(
    `${'env'.padEnd(30)} ${'family'.padEnd(9)} ${'prims'.padStart(5)} ${'static'.padStart(6)} ${'lights'.padStart(6)} ${'reused'.padStart(7)}  ${'cpu ms/step mean / median'.padStart(26)}  ${'env.step'.padStart(8)}  hash\n`,
  );
  let all = 0x811c9dc5;
  const totals: Record<string, number[]> = {},
    physicsTotals: Record<string, number[]> = {};
  for (const family of ['cued', 'metaworld'] as const) {
    for (const envId of ENV_IDS) {
      let env: InstanceType<typeof ManipulationEnv>;
      try {
        env = await ManipulationEnv.create(envId, { images: false, randomization: family });
      } catch {
        continue;
      }
      // `trials` runs of the same episode (same task, same actions), each with a fresh renderer; each
      // step counts with its fastest run (a loaded machine only ever adds time). Hash of the first run.
      let h = 0x811c9dc5,
        best: number[] | undefined,
        bestStep: number[] | undefined,
        reused = 0,
        redrawn = 0;
      for (let trial = 0; trial < trials; trial++) {
        const renderer = new CameraRenderer({ width: size, height: size, backend: 'ts', staticCache: cache, ...(cache ? {} : { restingFrames: 0 }) });
        env.reset(generateTask(envId, devInstance(1, 0, family)));
        // warm the JIT on this scene without counting
        for (let i = 0; i < 20; i++) renderer.render([env]);
        const stats0 = { ...renderer.staticStats };
        let seed = 12345;
        const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
        const times: number[] = [],
          stepTimes: number[] = [];
        for (let i = 0; i < steps; i++) {
          const s0 = process.cpuUsage();
          try {
            env.step([rnd(), rnd(), rnd() * 0.5, rnd()]);
          } catch {
            env.reset(generateTask(envId, devInstance(1, i, family)));
          }
          const s = process.cpuUsage(s0);
          stepTimes.push((s.user + s.system) / 1000);
          const c0 = process.cpuUsage();
          if (observe) renderer.observeWire([env]);
          const images = observe ? undefined : renderer.render([env]);
          const c = process.cpuUsage(c0);
          times.push((c.user + c.system) / 1000);
          if (trial === 0) {
            const px = (images ?? renderer.render([env])).pixels;
            for (let j = 0; j < px.length; j++) h = Math.imul(h ^ px[j]!, 0x01000193);
          }
        }
        // per step, the fastest of the runs (the same frame each time; load only ever adds time)
        if (!best) best = times;
        else for (let i = 0; i < steps; i++) best[i] = Math.min(best[i]!, times[i]!);
        if (!bestStep) bestStep = stepTimes;
        else for (let i = 0; i < steps; i++) bestStep[i] = Math.min(bestStep[i]!, stepTimes[i]!);
        reused = renderer.staticStats.reused - stats0.reused;
        redrawn = renderer.staticStats.redrawn - stats0.redrawn;
        renderer.destroy();
      }
      const times = best!;
      all = Math.imul(all ^ (h >>> 0), 0x01000193);
      const snap = new SceneSnapshot().read(env, ['corner', 'corner2']);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
      (totals[family] ??= []).push(mean);
      const physics = bestStep!.reduce((a, b) => a + b, 0) / steps;
      (physicsTotals[family] ??= []).push(physics);
      process.stdout.write(
        `${envId.padEnd(30)} ${family.padEnd(9)} ${String(snap.nPrims).padStart(5)} ${String(snap.nStatic).padStart(6)} ${String(snap.nLights).padStart(6)} ${`${reused}/${reused + redrawn}`.padStart(7)}  ${`${mean.toFixed(3)} / ${median.toFixed(3)}`.padStart(26)}  ${physics.toFixed(3).padStart(8)}  ${(h >>> 0).toString(16).padStart(8, '0')}\n`,
      );
      env.close();
    }
  }
  for (const [family, ms] of Object.entries(totals)) {
    const phys = physicsTotals[family]!;
    process.stdout.write(
      `${family}: mean over envs ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(3)} ms CPU per step (both cameras); env.step (physics) ${(phys.reduce((a, b) => a + b, 0) / phys.length).toFixed(3)} ms\n`,
    );
  }
  process.stdout.write(`all images hash: ${(all >>> 0).toString(16).padStart(8, '0')}\n`);
}

export default async function (args: string[]): Promise<void> {
  const size = Number(arg(args, 'size', '84'));
  if (arg(args, 'scene', 'both') === 'steps') {
    await stepScenes(size, Number(arg(args, 'steps', '150')), arg(args, 'cache', 'on') !== 'off', args.includes('--observe'), Number(arg(args, 'trials', '5')));
    return;
  }
  const trials = Number(arg(args, 'trials', '9'));
  const which = arg(args, 'scene', 'both');
  process.stdout.write(`camera rendering, ${size}×${size}, ms per image as best / median of ${trials} trials (CPU time; wall time)\n`);
  process.stdout.write(`gpu.js default mode here: ${detectGpuMode()}\n`);

  const sets = [];
  if (which !== 'env') sets.push(await fixtureScenes(8));
  if (which !== 'fixture') {
    const env = await envScenes(8);
    if (env) sets.push(env);
  }

  for (const set of sets) {
    process.stdout.write(`\n${set.label}\n`);
    process.stdout.write(`${'path'.padEnd(40)} ${'batch'.padStart(5)}  ${'cpu ms/img'.padStart(15)}  ${'wall ms/img'.padStart(15)}\n`);
    const one = set.scenes.slice(0, 1),
      eight = set.scenes.slice(0, 8);
    const line = (name: string, images: number, t: Timing) =>
      process.stdout.write(`${name.padEnd(40)} ${String(images).padStart(5)}  ${fmt(t.cpu).padStart(15)}  ${fmt(t.wall).padStart(15)}\n`);

    const paths: { name: string; options: ConstructorParameters<typeof CameraRenderer>[0]; batches: number[] }[] = [
      // restingFrames 0: the same frame over and over would otherwise rest entirely in the static picture
      { name: 'TypeScript, pruned (default on CPU)', options: { backend: 'ts', restingFrames: 0 }, batches: [1, 8] },
      { name: 'gpu.js webasm, 4 px tiles', options: { backend: 'gpu', gpuMode: 'webasm' }, batches: [1, 8] },
      { name: 'gpu.js webasm, no tile lists', options: { backend: 'gpu', gpuMode: 'webasm', maxPerTile: 0 }, batches: [1] },
      { name: 'gpu.js cpu, 4 px tiles', options: { backend: 'gpu', gpuMode: 'cpu' }, batches: [1, 8] },
    ];
    let tsStep = 0;
    for (const p of paths) {
      const renderer = new CameraRenderer({ width: size, height: size, ...p.options });
      for (const n of p.batches) {
        const scenes = n === 1 ? one : eight;
        const t = measure(() => renderer.render(scenes), 2 * n, trials);
        line(p.name, 2 * n, t);
        if (p.options?.backend === 'ts' && n === 1) tsStep = 2 * t.cpu[0]!;
      }
      if (p.options?.backend === 'ts') {
        line(
          '  + observe() (base64, matrices)',
          2,
          measure(() => renderer.observe(one), 2, trials),
        );
      }
      renderer.destroy();
    }

    // threaded webasm (gpu.js 'async'): CPU time here is summed over the worker threads
    const threaded = new CameraRenderer({ width: size, height: size, backend: 'gpu', gpuMode: 'async' });
    for (const n of [1, 8]) {
      const scenes = n === 1 ? one : eight;
      line('gpu.js async (threaded webasm)', 2 * n, await measureAsync(() => threaded.renderBatch(scenes), 2 * n, trials));
    }
    threaded.destroy();

    // naive: every geom at every pixel, same prepared views
    const snap = new SceneSnapshot();
    const batch = new ViewBatch({ width: size, height: size, tileSize: 4, maxPerTile: 32 });
    const out = new Uint8Array(size * size * 3);
    const naive = measure(
      () => {
        snap.read(one[0]!, ['corner', 'corner2']);
        batch.ensure(2, snap.nPrims);
        for (let v = 0; v < 2; v++) {
          prepareView(snap, v, batch, v, false);
          renderViewNaive(batch, v, out);
        }
      },
      2,
      Math.max(3, Math.floor(trials / 2)),
      300,
    );
    line('naive caster (TypeScript, no pruning)', 2, naive);
    process.stdout.write(
      `\nboth cameras per step, fastest path: ${tsStep.toFixed(3)} ms CPU (target ≤ 1 ms: ${tsStep <= 1 ? 'met' : 'NOT met'}); ` +
        `pruned vs naive: ${((2 * naive.cpu[0]!) / tsStep).toFixed(1)}× faster\n`,
    );
    set.close();
  }
}
