/**
 * The renderer on the simulator's real scenes (src/sim/env.ts, data/scenes) and `kinitro render`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { PNG } from 'pngjs';
import { renderCommand } from '../src/cli/commands/render.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import { decodeImage } from '../src/sim/protocol.ts';
import { ENV_IDS } from '../src/sim/registry.ts';
import { CameraRenderer, projectPoint } from '../src/sim/render/index.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { mwInstance } from './helpers/instances.ts';

function differingPixels(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 3) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
  return n;
}

test('every environment renders; seeds change the images, the same seed repeats them', async (t) => {
  const renderer = new CameraRenderer({ backend: 'ts' });
  try {
    for (const envId of ENV_IDS) {
      const env = await ManipulationEnv.create(envId, { randomization: 'metaworld', images: false });
      try {
        const shot = (seed: number) => {
          env.reset(generateTask(envId, mwInstance(seed)));
          return Uint8Array.from(renderer.render([env]).pixels);
        };
        const a = shot(1),
          b = shot(2),
          again = shot(1);
        t.deepEqual(again, a, `${envId}: deterministic`);
        t.true(differingPixels(a, b) > 100, `${envId}: seeds 1 and 2 differ in ${differingPixels(a, b)} pixels`);
        // the task's object is in view of both cameras
        const [obs] = renderer.observe([env]);
        const object = env.privileged().object;
        for (const camera of ['corner', 'corner2']) {
          const [u, v, depth] = projectPoint(obs!.cam_intrinsics[camera]!, obs!.cam_extrinsics[camera]!, object);
          t.true(depth > 0 && u >= 0 && u <= 83 && v >= 0 && v <= 83, `${envId}: object at (${u.toFixed(1)}, ${v.toFixed(1)}) in ${camera}`);
        }
      } finally {
        env.close();
      }
    }
  } finally {
    renderer.destroy();
  }
});

test('stepping an episode changes what the cameras see', async (t) => {
  const envId = 'metaworld/push-v3';
  const env = await ManipulationEnv.create(envId, { randomization: 'metaworld', images: false, endOnSuccess: false });
  const renderer = new CameraRenderer({ backend: 'ts' });
  try {
    env.reset(generateTask(envId, mwInstance(5)));
    const before = Uint8Array.from(renderer.render([env]).pixels);
    for (let i = 0; i < 20; i++) env.step({ continuous: { ee_twist: [0.8, 0, -0.5, 0, 0, 0], gripper: [1] } });
    t.true(differingPixels(before, renderer.render([env]).pixels) > 30);
  } finally {
    renderer.destroy();
    env.close();
  }
});

test('kinitro render writes one PNG per camera holding exactly the wire bytes', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-render-'));
  try {
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const code = await renderCommand.run({
      options: {
        env: 'metaworld/reach-v3',
        seed: 3,
        randomization: 'metaworld',
        out,
        size: 48,
        steps: 5,
        policy: 'random',
        cameras: 'corner,corner2',
        backend: 'ts',
        json: true,
      },
      positionals: [],
      stdout,
      stderr: new PassThrough(),
    });
    t.falsy(code);
    const report = JSON.parse(printed) as {
      files: string[];
      steps: number;
      cam_intrinsics: Record<string, number[][]>;
      cam_extrinsics: Record<string, number[][]>;
    };
    t.is(report.steps, 5);
    t.deepEqual(
      report.files.map((f) => path.basename(f)),
      ['reach-v3-s3-t5-corner.png', 'reach-v3-s3-t5-corner2.png'],
    );
    t.deepEqual(Object.keys(report.cam_extrinsics), ['corner', 'corner2']);
    t.is(report.cam_intrinsics.corner![0]![2], 23.5);

    // the same episode rebuilt by hand gives the same pixels the PNG holds
    const env = await ManipulationEnv.create('metaworld/reach-v3', { randomization: 'metaworld', images: false, endOnSuccess: false });
    const renderer = new CameraRenderer({ backend: 'ts', width: 48, height: 48 });
    try {
      env.reset(generateTask('metaworld/reach-v3', mwInstance(3)));
      const { RandomPolicy } = await import('../src/sim/policies.ts');
      const policy = new RandomPolicy();
      policy.reset({ task: { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' }, episodeSeed: 3 });
      for (let i = 0; i < 5; i++) env.step(policy.act());
      const [obs] = renderer.observe([env]);
      for (const [i, camera] of ['corner', 'corner2'].entries()) {
        const png = PNG.sync.read(fs.readFileSync(report.files[i]!));
        t.is(png.width, 48);
        t.is(png.height, 48);
        const rgb = new Uint8Array(48 * 48 * 3);
        for (let p = 0; p < 48 * 48; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = png.data[4 * p + c]!;
        t.deepEqual(rgb, decodeImage(obs!.rgb[camera]!));
      }
    } finally {
      renderer.destroy();
      env.close();
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('kinitro render rejects unknown environments and cameras as usage errors', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-render-'));
  try {
    const base = { seed: 0, randomization: 'cued' as const, out, size: 16, steps: 0, policy: 'zero' as const, backend: 'ts' as const, json: false };
    const ctx = { positionals: [], stdout: new PassThrough(), stderr: new PassThrough() };
    await t.throwsAsync(renderCommand.run({ ...ctx, options: { ...base, env: 'metaworld/nope', cameras: 'corner' } }), { name: 'CliUsageError' });
    await t.throwsAsync(renderCommand.run({ ...ctx, options: { ...base, env: 'metaworld/reach-v3', cameras: 'corner,nope' } }), {
      name: 'CliUsageError',
      message: /nope/,
    });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
