import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, spawnCli, waitForOutput } from './helpers/cli.ts';
import { FIXTURES, pythonJson, startPython, stopChild } from './helpers/python.ts';
import { tempDir } from './helpers/store.ts';
import { decodeBody, encodeMessage, FrameReader, WireError } from '../src/training/wire.ts';
import { openVecBackend } from '../src/training/sharded-vec.ts';
import type { VecEnvConfig } from '../src/training/vec-env.ts';
import { evaluateEndpoint } from '../src/executor/evaluate-endpoint.ts';
import { ENV_IDS } from '../src/sim/registry.ts';

test('wire framing: arrays round-trip 8-byte aligned, messages split across chunks, oversize refused', (t) => {
  const a = Float64Array.from([1.5, -2, Math.PI]);
  const b = Uint8Array.from([1, 2, 3, 4, 5]);
  const frame = encodeMessage({ op: 'x', n: 1 }, [
    { name: 'b', shape: [5], data: b },
    { name: 'a', shape: [3, 1], data: a },
  ]);
  const reader = new FrameReader();
  const bodies = [...reader.push(frame.subarray(0, 3)), ...reader.push(frame.subarray(3, 20)), ...reader.push(Buffer.concat([frame.subarray(20), frame]))];
  t.is(bodies.length, 2);
  const message = decodeBody(bodies[0]!);
  t.deepEqual(message.header, { op: 'x', n: 1 });
  t.deepEqual(Array.from(message.arrays[0]!.data), [1, 2, 3, 4, 5]);
  t.deepEqual(message.arrays[1]!.shape, [3, 1]);
  t.deepEqual(Array.from(message.arrays[1]!.data), [1.5, -2, Math.PI]);
  const headerLength = bodies[0]!.readUInt32LE(0);
  const firstArrayAt = (4 + headerLength + 7) & ~7;
  t.is(firstArrayAt % 8, 0);
  t.throws(() => new FrameReader(16).push(frame), { instanceOf: WireError });
  t.throws(() => encodeMessage({}, [{ name: 'x', shape: [2], data: a }]), { message: /needs 2 values/ });
});

test('a vector split over threads (strided shares, one in the calling thread) steps exactly like one in a single thread', async (t) => {
  t.timeout(240_000);
  // Env ids of different cost (a puck scene among them) and a count that does not divide evenly.
  const envIds = ['metaworld/reach-v3', 'metaworld/push-v3', 'metaworld/reach-v3', 'metaworld/drawer-open-v3'] as const;
  const actionsAt = (i: number) => Float64Array.from({ length: envIds.length * 7 }, (_, k) => Math.sin(k + i));
  for (const autoreset of ['next_step', 'same_step'] as const) {
    const config: VecEnvConfig = { envIds, images: true, maxSteps: 4, randomization: 'cued', autoreset, privileged: false };
    const runs = [];
    for (const threads of [1, 2, 3]) {
      const vec = await openVecBackend(config, threads);
      try {
        const steps = [await vec.reset(5)];
        for (let i = 0; i < 6; i++) steps.push(await vec.step(actionsAt(i)));
        runs.push(steps);
      } finally {
        await vec.close();
      }
    }
    for (const other of runs.slice(1)) {
      for (let i = 0; i < runs[0]!.length; i++) {
        const [x, y] = [runs[0]![i]!, other[i]!];
        t.deepEqual(Array.from(x.proprio), Array.from(y.proprio), `${autoreset} step ${i} proprio`);
        t.deepEqual(Buffer.from(x.rgb!), Buffer.from(y.rgb!), `${autoreset} step ${i} images`);
        t.deepEqual(Array.from(x.intrinsics!), Array.from(y.intrinsics!));
        t.deepEqual(Array.from(x.extrinsics!), Array.from(y.extrinsics!));
        t.deepEqual(Array.from(x.reward), Array.from(y.reward));
        t.deepEqual(Array.from(x.terminated), Array.from(y.terminated));
        t.deepEqual(Array.from(x.truncated), Array.from(y.truncated));
        t.deepEqual(x.info, y.info);
        t.is(x.final === undefined, y.final === undefined, `${autoreset} step ${i} final`);
        if (x.final && y.final) {
          t.deepEqual(Array.from(x.final.mask), Array.from(y.final.mask));
          t.deepEqual(Array.from(x.final.proprio), Array.from(y.final.proprio));
          t.deepEqual(Buffer.from(x.final.rgb!), Buffer.from(y.final.rgb!));
          t.deepEqual(x.final.info, y.final.info);
        }
      }
    }
    const one = runs[0]!;
    // The sub-environments sharing an env id get different instances (their images differ).
    const px = 2 * 84 * 84 * 3;
    t.notDeepEqual(Buffer.from(one[0]!.rgb!.subarray(0, px)), Buffer.from(one[0]!.rgb!.subarray(2 * px, 3 * px)));
    t.deepEqual(Array.from(one[4]!.truncated), [1, 1, 1, 1], 'the 4th step truncates every episode');
    if (autoreset === 'next_step') {
      // The 5th step resets them (reward 0), the 6th steps again.
      t.deepEqual(one[5]!.info.reset, [true, true, true, true]);
      t.deepEqual(one[5]!.info.episode, [2, 2, 2, 2]);
      t.deepEqual(Array.from(one[5]!.reward), [0, 0, 0, 0]);
      t.is(one[4]!.final, undefined);
    } else {
      // The truncating step already carries the new episodes; the last observations are in final.
      t.deepEqual(one[4]!.info.reset, [true, true, true, true]);
      t.deepEqual(one[4]!.info.episode, [2, 2, 2, 2]);
      t.deepEqual(Array.from(one[4]!.final!.mask), [1, 1, 1, 1]);
      t.notDeepEqual(Array.from(one[4]!.final!.proprio), Array.from(one[4]!.proprio));
    }
  }
});

test('kinitro_env from Python: observation arrays, spaces, seeding, auto-reset modes', async (t) => {
  t.timeout(180_000);
  const out = await pythonJson<any>([path.join(FIXTURES, 'vec_probe.py'), 'vector', '4'], { timeoutMs: 170_000 });
  t.deepEqual(out.env_ids, ['metaworld/reach-v3', 'metaworld/drawer-open-v3', 'metaworld/reach-v3', 'metaworld/drawer-open-v3']);
  t.deepEqual(out.shapes, {
    proprio: [4, 14],
    proprio_dtype: 'float32',
    'rgb.corner': [4, 84, 84, 3],
    'rgb.corner2': [4, 84, 84, 3],
    rgb_dtype: 'uint8',
    K: [4, 3, 3],
    E: [4, 4, 4],
  });
  t.deepEqual(out.action_space, { shape: [7], low: [-1, -1, -1, -1, -1, -1, 0], high: [1, 1, 1, 1, 1, 1, 1] });
  // max_steps 5: the 5th step truncates every sub-environment, the 6th resets them (next_step).
  t.deepEqual(
    out.ends.map((e: boolean[]) => e.every(Boolean)),
    [false, false, false, false, true, false, false],
  );
  t.deepEqual(
    out.resets.map((e: boolean[]) => e.every(Boolean)),
    [false, false, false, false, false, true, false],
  );
  t.deepEqual(out.episodes, [2, 2, 2, 2]);
  t.true(out.reseeded_same, 'reset(seed) gives the same scenes again');
  t.false(out.has_privileged, 'no privileged info unless asked for in training mode');
  // same_step: the truncating step already returns the reset observation; the last one is in final_obs.
  t.deepEqual(
    out.same_step.map((s: any) => [s.truncated.every(Boolean), s.has_final, s.reset.every(Boolean), s.episode[0]]),
    [
      [false, false, false, 1],
      [false, false, false, 1],
      [true, true, true, 2],
    ],
  );
  t.deepEqual(out.same_step[2].final_shape, [14]);
});

/** One episode as the scripted miner recorded it, in the Python probe's form (proprio flattened in channel order). */
function asProbeRecords(episode: any[]): any[] {
  const order = ['ee_pos', 'ee_quat', 'ee_vel_ang', 'ee_vel_lin', 'gripper'];
  return episode.map((wire) => ({
    proprio: order.flatMap((k) => wire.proprio[k]),
    rgb: wire.rgb,
    cam_intrinsics: wire.cam_intrinsics,
    cam_extrinsics: wire.cam_extrinsics,
  }));
}

async function recordedEpisodes(url: string): Promise<any[][]> {
  return ((await (await fetch(`${url}/recorded`)).json()) as { episodes: any[][] }).episodes;
}

test('every environment from Python runs the episode kinitro eval --endpoint runs for the same instance (both families)', async (t) => {
  t.timeout(400_000);
  const miner = await startPython([path.join(FIXTURES, 'scripted_miner.py')]);
  try {
    const url = `http://127.0.0.1:${miner.firstLine.trim()}`;
    const seed = 3;
    const steps = 25;
    // The CLI itself, on one environment.
    const cli = await runCli(
      ['eval', '--endpoint', url, '--env', 'metaworld/drawer-open-v3', '--episodes', '1', '--seed', String(seed), '--max-steps', String(steps), '--json'],
      { timeoutMs: 120_000 },
    );
    t.is(cli.code, 0, cli.stderr);
    const viaCli = await recordedEpisodes(url);
    t.is(viaCli.length, 1);
    for (const randomization of ['cued', 'metaworld'] as const) {
      const before = (await recordedEpisodes(url)).length;
      // What `kinitro eval --endpoint --env all --seed S` runs, one episode at a time (the scripted miner keys episodes by
      // arrival, and this executor does not send episode ids yet).
      const summary = await evaluateEndpoint({ endpoint: url, envIds: ENV_IDS, episodes: 1, seed, randomization, maxSteps: steps, concurrency: 1, workers: 1 });
      const served = (await recordedEpisodes(url)).slice(before);
      t.is(served.length, ENV_IDS.length);
      const python = await pythonJson<any>([path.join(FIXTURES, 'vec_probe.py'), 'trajectories', randomization, String(seed), String(steps)], {
        timeoutMs: 200_000,
      });
      t.deepEqual(python.env_ids, [...ENV_IDS], 'all: every environment');
      t.deepEqual(python.client_env_ids, [...ENV_IDS], "the client's list (gymnasium ids) is the registry's");
      const matched = new Set<string>();
      for (const episode of served) {
        const records = asProbeRecords(episode);
        // Which environment's trajectory starts with this episode's first images (each env's scene differs).
        const envId = ENV_IDS.find((id) => JSON.stringify(python.runs[id].records[0].rgb) === JSON.stringify(records[0].rgb));
        t.truthy(envId, `${randomization}: an evaluated episode matches no Python trajectory`);
        if (!envId) continue;
        matched.add(envId);
        const run = python.runs[envId];
        const evaluated = summary.envs[envId]!;
        t.is(evaluated.errors, 0);
        t.is(run.steps, evaluated.mean_steps, `${randomization} ${envId}: same episode length`);
        t.is(records.length, run.steps);
        t.is(run.success, evaluated.successes === 1, `${randomization} ${envId}: same success`);
        t.is(run.violation !== null, evaluated.violations === 1, `${randomization} ${envId}: same violation`);
        const sum = run.rewards.reduce((a: number, b: number) => a + b, 0);
        t.true(Math.abs(sum - evaluated.mean_reward) < 1e-9, `${randomization} ${envId}: summed reward ${sum} vs ${evaluated.mean_reward}`);
        // Every observation: proprio, both camera images byte for byte, the calibration.
        t.deepEqual(run.records, records, `${randomization} ${envId}: every observation`);
      }
      t.is(matched.size, ENV_IDS.length, `${randomization}: each environment matched once`);
      if (randomization === 'cued') t.deepEqual(python.runs['metaworld/drawer-open-v3'].records, asProbeRecords(viaCli[0]!), 'the CLI run is the same episode');
    }
  } finally {
    await stopChild(miner.child);
  }
});

test('privileged state: refused by a server not in training mode; marked in info, never in observations, in training mode', async (t) => {
  t.timeout(400_000);
  const socket = path.join(tempDir('kinitro-envsrv-'), 'env.sock');
  const server = spawnCli(['env', 'serve', '--socket', socket, '--log-level', 'warn']);
  try {
    await waitForOutput(server.child, /listening on unix:/, 150_000);
    t.is(fs.statSync(socket).mode & 0o777, 0o600, 'only the owner can connect');
    const out = await pythonJson<any>([path.join(FIXTURES, 'vec_probe.py'), 'privileged'], { env: { PLAIN_ADDRESS: `unix:${socket}` }, timeoutMs: 170_000 });
    t.true(out.refused);
    t.regex(out.refusal, /training mode/);
    t.deepEqual(out.obs_keys, ['proprio']);
    t.true(out.privileged_keys.includes('instance') && out.privileged_keys.includes('cued') && out.privileged_keys.includes('goal'));
    t.is(out.instance_prefix, 'cued');
  } finally {
    await stopChild(server.child);
  }
});

test('the evaluation path cannot reach the training server: no evaluation module imports src/training', (t) => {
  const root = path.join(import.meta.dirname, '..', 'src');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ts|mjs)$/.test(entry.name) && /from '[^']*training\//.test(fs.readFileSync(p, 'utf8'))) offenders.push(path.relative(root, p));
    }
  };
  for (const area of ['executor', 'miner', 'validator', 'api', 'cycle', 'scoring', 'sim', 'chain', 'store']) walk(path.join(root, area));
  t.deepEqual(offenders, []);
});

test('kinitro env serve refuses --socket with --port', async (t) => {
  t.timeout(200_000);
  const r = await runCli(['env', 'serve', '--socket', '/tmp/x.sock', '--port', '0'], { timeoutMs: 180_000 });
  t.is(r.code, 2);
  t.regex(r.stderr, /--socket or --port/);
});
