import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MinerClient } from '../src/executor/miner-client.ts';
import { cameraImageHook } from '../src/miner/evaluate.ts';
import { initMiner, projectName } from '../src/miner/template.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { ROOT, runCli, waitForOutput, whenClosed } from './helpers/cli.ts';
import { mwInstance } from './helpers/instances.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-miner-'));
}

/** A project from the template that runs with this repository's node_modules (no npm install). */
function projectWithModules(): string {
  const dir = path.join(tempDir(), 'my-miner');
  initMiner(dir, { template: 'typescript' });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

test('init-miner writes the template project and never overwrites existing files', async (t) => {
  const dir = path.join(tempDir(), 'Cool Miner');
  const first = await runCli(['init-miner', dir, '--template', 'typescript']);
  t.is(first.code, 0, first.stderr);
  for (const f of [
    'package.json',
    'tsconfig.json',
    'README.md',
    'Dockerfile',
    '.gitignore',
    'src/server.ts',
    'src/policy.ts',
    'src/types.ts',
    'src/camera.ts',
  ]) {
    t.true(fs.existsSync(path.join(dir, f)), `${f} written`);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  t.is(pkg.name, 'cool-miner');
  t.is(pkg.scripts.start, 'tsx src/server.ts');
  t.deepEqual(Object.keys(pkg.dependencies).sort(), ['@koa/bodyparser', '@koa/router', 'koa', 'tsx']);
  t.regex(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), /kinitro eval --endpoint http:\/\/127\.0\.0\.1:8001/);

  fs.writeFileSync(path.join(dir, 'src/policy.ts'), '// mine\n');
  fs.rmSync(path.join(dir, 'Dockerfile'));
  const second = await runCli(['init-miner', dir, '--template', 'typescript']);
  t.is(second.code, 0, second.stderr);
  t.is(fs.readFileSync(path.join(dir, 'src/policy.ts'), 'utf8'), '// mine\n', 'an existing file is kept');
  t.regex(second.stdout, /skipped {2}.*src\/policy\.ts \(exists\)/);
  t.regex(second.stdout, /created {2}.*Dockerfile/, 'a missing file is restored');
  t.regex(second.stderr, /kept 8 existing file\(s\)/);
});

test('init-miner refuses a path that is a file, and names projects npm-safely', async (t) => {
  const file = path.join(tempDir(), 'plain-file');
  fs.writeFileSync(file, 'x');
  const r = await runCli(['init-miner', file, '--template', 'typescript']);
  t.is(r.code, 1);
  t.regex(r.stderr, /exists and is not a directory/);
  t.is(projectName('/tmp/My Great_Miner!'), 'my-great_miner');
  t.is(projectName('/tmp/...'), 'kinitro-miner');
});

test('the generated server answers the miner protocol the way the executor expects (npm start)', async (t) => {
  t.timeout(180_000);
  const dir = projectWithModules();
  // detached: npm runs the server in a child; stopping the group stops both.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  t.teardown(() => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  const m = await waitForOutput(child, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/, 60_000);
  const url = m[1]!;

  const health = (await (await fetch(`${url}/health`)).json()) as {
    status: string;
    model_loaded: boolean;
    uptime_seconds: number;
    max_concurrent_episodes: number;
  };
  t.is(health.status, 'healthy');
  t.is(health.model_loaded, true);
  t.is(typeof health.uptime_seconds, 'number');
  t.is(health.max_concurrent_episodes, 8, 'declares its capacity for concurrent episodes');
  const prober = new MinerClient(url);
  t.deepEqual(await prober.health(), { maxConcurrentEpisodes: 8 }, 'as the executor reads it');
  await prober.close();

  const reset = await fetch(`${url}/reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task_config: { env_id: 'metaworld/push-v3', extra_key: 1 } }),
  });
  t.is(reset.status, 200);
  const resetBody = (await reset.json()) as { status: string; episode_id: unknown };
  t.is(resetBody.status, 'ok');
  t.is(typeof resetBody.episode_id, 'string');
  const named = await fetch(`${url}/reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task_config: { env_id: 'metaworld/push-v3', episode_id: 'ep-7' } }),
  });
  t.is(((await named.json()) as { episode_id: unknown }).episode_id, 'ep-7', "the executor's episode id is the episode's id");

  // A real observation with camera images, through the executor's own client (strict action parsing).
  const env = await ManipulationEnv.create('metaworld/push-v3', { randomization: 'metaworld', images: true, imageHook: cameraImageHook() });
  const client = new MinerClient(url);
  try {
    const observation = env.reset(generateTask('metaworld/push-v3', mwInstance(3)));
    t.is(observation.rgb.corner?.shape.join('x'), '84x84x3');
    await client.reset({ env_id: 'metaworld/push-v3', env_name: 'metaworld', task_name: 'push-v3', episode_id: 'ep-8' });
    for (let step = 0; step < 3; step++) {
      const action = await client.actWith({ ...observation, extra: { episode_id: 'ep-8' } }, step);
      t.is(action.eeTwist.length, 6);
      t.true(action.eeTwist.every((v) => v >= -1 && v <= 1));
      t.true(action.gripper >= 0 && action.gripper <= 1);
    }
  } finally {
    await client.close();
    env.close();
  }

  // Strict validation: unknown keys and non-numbers are a 422 naming the offending field.
  const bad = await fetch(`${url}/act`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ obs: { proprio: { ee_pos: [0, 'x', 0] }, bogus: {} } }),
  });
  t.is(bad.status, 422);
  const detail = ((await bad.json()) as { detail: { loc: unknown[] }[] }).detail;
  t.deepEqual(detail.map((d) => d.loc.join('.')).sort(), ['body.obs.bogus', 'body.obs.proprio.ee_pos.1']);
  const notJson = await fetch(`${url}/act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"obs": ' });
  t.is(notJson.status, 400);
  t.is((await fetch(`${url}/nope`)).status, 404);

  // SIGTERM to the group: the server says goodbye and exits; npm itself ends by the signal.
  const said = waitForOutput(child, /"message":"shutting down"/, 30_000);
  process.kill(-child.pid!, 'SIGTERM');
  await t.notThrowsAsync(said);
});

test('the generated project type-checks on its own', async (t) => {
  const dir = projectWithModules();
  const tsc = spawn(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = whenClosed(tsc);
  let out = '';
  tsc.stdout!.on('data', (d) => (out += d));
  tsc.stderr!.on('data', (d) => (out += d));
  t.is(await done, 0, out);
});

test('the template camera helpers invert each other with the published calibration', async (t) => {
  const { projectPoint, pixelRay, triangulate } = await import('../templates/miner/src/camera.ts');
  const env = await ManipulationEnv.create('metaworld/reach-v3', { randomization: 'metaworld', images: true, imageHook: cameraImageHook() });
  try {
    const obs = env.reset(generateTask('metaworld/reach-v3', mwInstance(11)));
    const point: [number, number, number] = [0.05, 0.8, 0.12];
    const rays = ['corner', 'corner2'].map((cam) => {
      const [col, row, depth] = projectPoint(obs.cam_intrinsics[cam]!, obs.cam_extrinsics[cam]!, point);
      t.true(depth > 0 && col > 0 && col < 83 && row > 0 && row < 83, `${cam} sees the point`);
      return pixelRay(obs.cam_intrinsics[cam]!, obs.cam_extrinsics[cam]!, col, row);
    });
    const back = triangulate(rays)!;
    t.true(Math.hypot(back[0] - point[0], back[1] - point[1], back[2] - point[2]) < 1e-9);
  } finally {
    env.close();
  }
});

test('the template turns what a policy returns into a strict wire action', async (t) => {
  const { toAction, parseObservation, ValidationError, makeAction } = await import('../templates/miner/src/types.ts');
  t.deepEqual(toAction([0.1, 0.2, 0.3, 0, 0, 0, 1]), { continuous: { ee_twist: [0.1, 0.2, 0.3, 0, 0, 0], gripper: [1] }, discrete: {}, extra: {} });
  t.deepEqual(toAction({ continuous: { ee_twist: [1, 0, 0] } }), { continuous: { ee_twist: [1, 0, 0] }, discrete: {}, extra: {} });
  t.throws(() => toAction([1, 2, 3]), { message: /needs 7 numbers/ });
  t.throws(() => toAction({ continuous: { ee_twist: [Number.NaN] } }), { message: /finite/ });
  t.throws(() => toAction({ bogus: 1 } as never), { message: /unknown action key "bogus"/ });
  t.deepEqual(makeAction([2, -2, 0.5], 1.5).continuous, { ee_twist: [1, -1, 0.5, 0, 0, 0], gripper: [1] });
  const obs = parseObservation({ proprio: { ee_pos: [0, 0.6, 0.2] } });
  t.deepEqual(Object.keys(obs).sort(), ['cam_extrinsics', 'cam_intrinsics', 'depth', 'extra', 'proprio', 'rgb']);
  const err = t.throws(() => parseObservation({ rgb: { corner: { data: 'AA==', shape: [1, 1.5], dtype: 'uint8', x: 1 } } }));
  t.true(err instanceof ValidationError);
  t.deepEqual((err as InstanceType<typeof ValidationError>).issues.map((i) => i.loc.join('.')).sort(), ['body.obs.rgb.corner.shape', 'body.obs.rgb.corner.x']);
});
