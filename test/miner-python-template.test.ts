import test from 'ava';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { runCli } from './helpers/cli.ts';
import { runPython, startPython, stopChild } from './helpers/python.ts';
import { tempDir } from './helpers/store.ts';
import { ENV_IDS } from '../src/sim/registry.ts';

const PY_FILES = ['server.py', 'policy.py', 'rl_interface.py', 'camera.py', 'requirements.txt', 'Dockerfile', 'README.md', '.gitignore'];

async function initProject(): Promise<string> {
  const dir = path.join(tempDir('kinitro-pyminer-'), 'm');
  // A generous limit: on a loaded 2-core box the CLI's start-up alone has taken most of a minute.
  const r = await runCli(['init-miner', dir], { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`init-miner exited ${r.code}: ${r.stderr}`);
  return dir;
}

/** Starts `python3 server.py` in the project on a free loopback port; returns the base URL. */
async function serve(dir: string, env: NodeJS.ProcessEnv = {}) {
  const started = await startPython(['server.py'], { cwd: dir, env: { PORT: '0', HOST: '127.0.0.1', ...env } });
  const line = JSON.parse(started.firstLine) as { message: string; port: number };
  return { ...started, url: `http://127.0.0.1:${line.port}`, message: line.message };
}

async function post(url: string, body: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: await res.json() };
}

test('init-miner writes the Python template by default (the original layout), never overwriting files', async (t) => {
  t.timeout(400_000);
  const dir = await initProject();
  for (const f of PY_FILES) t.true(fs.existsSync(path.join(dir, f)), `${f} written`);
  t.false(fs.existsSync(path.join(dir, 'package.json')), 'no TypeScript project');
  t.regex(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), /^# m — a Kinitro miner policy server \(Python\)/);
  t.regex(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), /FROM python:3\.11-slim[\s\S]*USER 1000[\s\S]*CMD \["python3", "server.py"\]/);
  fs.writeFileSync(path.join(dir, 'policy.py'), '# mine\n');
  const again = await runCli(['init-miner', dir, '--json'], { timeoutMs: 180_000 });
  t.is(again.code, 0, again.stderr);
  const result = JSON.parse(again.stdout) as { written: string[]; skipped: string[] };
  t.deepEqual(result.written, []);
  t.is(fs.readFileSync(path.join(dir, 'policy.py'), 'utf8'), '# mine\n');
});

test("the template's wire types: strict parsing, decode_image, proprio_array order, flat actions", async (t) => {
  t.timeout(300_000);
  const dir = await initProject();
  const script = `
import json, numpy as np
from rl_interface import Observation, Action, ValidationError, decode_image, encode_image, to_action, make_action
from camera import project_point, pixel_ray, triangulate
img = (np.arange(84 * 84 * 3) % 251).astype(np.uint8).reshape(84, 84, 3)
enc = encode_image(img)
obs = Observation.from_dict({"rgb": {"corner": enc.to_dict()}, "depth": {}, "proprio": {"gripper": [0.5], "ee_pos": [1, 2, 3], "ee_vel_lin": [7, 8, 9], "ee_quat": [0, 0, 0, 1], "ee_vel_ang": [4, 5, 6]}, "cam_intrinsics": {}, "cam_extrinsics": {}, "extra": {"episode_id": "e7"}})
out = {"roundtrip": bool((decode_image(obs.rgb["corner"]) == img).all()), "state": obs.proprio_array().tolist(), "dtype": str(obs.proprio_array().dtype), "episode_id": obs.episode_id}
errors = []
for bad in [{"bogus": 1}, {"proprio": {"a": [1, "x"]}}, {"proprio": {"a": [float("nan")]}}, {"rgb": {"c": {"data": "AA==", "shape": [-1], "dtype": "uint8"}}}, []]:
    try:
        Observation.from_dict(bad)
        errors.append(None)
    except ValidationError as e:
        errors.append([i["type"] for i in e.errors()])
out["errors"] = errors
out["flat7"] = to_action([0.1, 0.2, 0.3, 0, 0, 0, 1]).to_dict()
out["flat4"] = Action.from_array([0.1, 0.2, 0.3, 1]).continuous
try:
    to_action({"continuous": {"ee_twist": [float("inf")]}})
    out["inf"] = "accepted"
except ValidationError:
    out["inf"] = "rejected"
K = np.array([[100.0, 0, 41.5], [0, 100.0, 41.5], [0, 0, 1]])
E1 = np.eye(4); E1[2, 3] = 2.0
E2 = np.eye(4); E2[:3, :3] = [[0, 0, -1], [0, 1, 0], [1, 0, 0]]; E2[2, 3] = 2.0
p = np.array([0.1, -0.2, 0.05])
rays = [pixel_ray(K, E, *project_point(K, E, p)[:2]) for E in (E1, E2)]
out["triangulated"] = triangulate(rays).tolist()
print(json.dumps(out))
`;
  const r = await runPython(['-c', script], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.true(out.roundtrip);
  t.deepEqual(out.state, [1, 2, 3, 0, 0, 0, 1, 4, 5, 6, 7, 8, 9, 0.5], 'ee_pos, ee_quat, ee_vel_ang, ee_vel_lin, gripper');
  t.is(out.dtype, 'float32');
  t.is(out.episode_id, 'e7');
  t.deepEqual(out.errors, [['extra_forbidden'], ['float_type'], ['finite_number'], ['list_type'], ['dict_type']]);
  t.deepEqual(out.flat7, { continuous: { ee_twist: [0.1, 0.2, 0.3, 0, 0, 0], gripper: [1] }, discrete: {}, extra: {} });
  t.deepEqual(out.flat4, { ee_twist: [0.1, 0.2, 0.3, 0, 0, 0], gripper: [1] });
  t.is(out.inf, 'rejected');
  out.triangulated.forEach((v: number, i: number) => t.true(Math.abs(v - [0.1, -0.2, 0.05][i]!) < 1e-9));
});

test('python3 server.py: health declares capacity, strict 422s, episode ids, keep-alive, TCP_NODELAY', async (t) => {
  t.timeout(300_000);
  const dir = await initProject();
  const server = await serve(dir, { MAX_CONCURRENT_EPISODES: '3' });
  try {
    t.is(server.message, 'policy server listening');
    const health = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>;
    t.like(health, { status: 'healthy', model_loaded: true, max_concurrent_episodes: 3 });
    t.is(typeof health.uptime_seconds, 'number');

    const reset = await post(
      `${server.url}/reset`,
      JSON.stringify({ task_config: { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3', episode_id: 'ep-1', unknown: 1 } }),
    );
    t.deepEqual(reset, { status: 200, json: { status: 'ok', episode_id: 'ep-1' } });
    t.is((await post(`${server.url}/reset`, JSON.stringify({ task_config: [] }))).status, 422);

    const ok = await post(
      `${server.url}/act`,
      JSON.stringify({
        obs: { rgb: {}, depth: {}, proprio: { ee_pos: [0, 0.6, 0.2] }, cam_intrinsics: {}, cam_extrinsics: {}, extra: { episode_id: 'ep-1' } },
      }),
    );
    t.is(ok.status, 200);
    t.deepEqual(Object.keys(ok.json.action).sort(), ['continuous', 'discrete', 'extra']);
    t.is(ok.json.action.continuous.ee_twist.length, 6);

    const bad = await post(`${server.url}/act`, JSON.stringify({ obs: { rgb: {}, bogus: true, proprio: { ee_pos: [0, 'x', 0] } } }));
    t.is(bad.status, 422);
    t.deepEqual(
      bad.json.detail.map((d: { loc: unknown[]; type: string }) => [d.loc.join('.'), d.type]),
      [
        ['body.obs.bogus', 'extra_forbidden'],
        ['body.obs.proprio.ee_pos.1', 'float_type'],
      ],
    );
    t.is((await post(`${server.url}/act`, '{not json')).json.detail[0].type, 'json_invalid');
    t.is((await post(`${server.url}/act`, '{}')).json.detail[0].type, 'missing');
    t.is((await fetch(`${server.url}/nope`)).status, 404);

    // One connection serves consecutive requests (HTTP/1.1 keep-alive).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${server.url}/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        reused.push(req.reusedSocket);
      });
    }
    agent.destroy();
    t.deepEqual(reused, [false, true, true]);

    const nodelay = await runPython(['-c', 'import server; print(server._Handler.disable_nagle_algorithm, server._Handler.protocol_version)'], { cwd: dir });
    t.is(nodelay.stdout.trim(), 'True HTTP/1.1', 'the stdlib sets TCP_NODELAY on every accepted connection');
  } finally {
    await stopChild(server.child);
  }
});

test('kinitro eval --endpoint --env all against `python3 server.py` (stdlib + numpy): no protocol errors', async (t) => {
  t.timeout(500_000);
  const dir = await initProject();
  const server = await serve(dir);
  try {
    const r = await runCli(['eval', '--endpoint', server.url, '--env', 'all', '--episodes', '1', '--max-steps', '12', '--json'], { timeoutMs: 220_000 });
    t.is(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { envs: Record<string, { errors: number; mean_steps: number; error_messages: { message: string }[] }> };
    t.deepEqual(Object.keys(summary.envs), [...ENV_IDS]);
    for (const [env, s] of Object.entries(summary.envs)) {
      t.is(s.errors, 0, `${env}: ${JSON.stringify(s.error_messages)}`);
      t.is(s.mean_steps, 12, `${env} ran every step against the Python server`);
    }
  } finally {
    await stopChild(server.child);
  }
});
