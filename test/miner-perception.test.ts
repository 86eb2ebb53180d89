import test from 'ava';
import { cameraImageHook } from '../src/miner/evaluate.ts';
import { CameraModel, triangulate } from '../src/miner/vision/camera.ts';
import { buildFrame, type Frame } from '../src/miner/vision/frame.ts';
import * as M from '../src/miner/vision/models.ts';
import * as P from '../src/miner/vision/perception.ts';
import { identifyScene } from '../src/miner/vision/scene-id.ts';
import { ColourClass, classHistogram, findBlobs } from '../src/miner/vision/segment.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import { ENV_IDS, type EnvId } from '../src/sim/registry.ts';
import { projectPoint } from '../src/sim/render/index.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { mwInstance } from './helpers/instances.ts';

const hook = cameraImageHook();
const SEEDS = [0, 1, 2, 3, 4];

/** First frames of `envId` for each seed, with the environment to read the truth from. */
async function withFrames(envId: EnvId, seeds: number[], fn: (frame: Frame, env: ManipulationEnv, seed: number) => void): Promise<void> {
  const env = await ManipulationEnv.create(envId, { randomization: 'metaworld', images: true, imageHook: hook });
  try {
    for (const seed of seeds) fn(buildFrame(env.reset(generateTask(envId, mwInstance(seed)))), env, seed);
  } finally {
    env.close();
  }
}

const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

test('the camera model projects like the renderer and its rays pass through the projected points', async (t) => {
  await withFrames('metaworld/reach-v3', [3], (frame, env) => {
    const obs = env.reset(generateTask('metaworld/reach-v3', mwInstance(3)));
    for (const name of ['corner', 'corner2']) {
      const K = obs.cam_intrinsics[name]!,
        E = obs.cam_extrinsics[name]!;
      const camera = new CameraModel(K, E, 84, 84);
      for (const p of [
        [0, 0.6, 0],
        [0.1, 0.9, 0.3],
        [-0.3, 0.5, 0.1],
      ] as [number, number, number][]) {
        const [c1, r1, d1] = projectPoint(K, E, p);
        const [c2, r2] = camera.project(p);
        t.true(Math.abs(c1 - c2) < 1e-9 && Math.abs(r1 - r2) < 1e-9, `${name} projects ${p}`);
        t.true(Math.abs(camera.depthOf(p) - d1) < 1e-9);
        const ray = camera.ray(c2, r2);
        const along = (p[0] - ray.origin[0]) * ray.dir[0] + (p[1] - ray.origin[1]) * ray.dir[1] + (p[2] - ray.origin[2]) * ray.dir[2];
        t.true(along > 0, 'the ray points into the scene');
        t.true(dist(p, [ray.origin[0] + along * ray.dir[0], ray.origin[1] + along * ray.dir[1], ray.origin[2] + along * ray.dir[2]]) < 1e-9);
      }
    }
    t.is(frame.views.length, 2);
  });
});

test('colour blobs of the goal marker, triangulated from both cameras, land near the true goal', async (t) => {
  await withFrames('metaworld/reach-v3', SEEDS, (frame, env, seed) => {
    const rays = frame.views.map((v) => {
      const blob = findBlobs(v.labels, v.width, v.height, ColourClass.Orange)[0];
      t.truthy(blob, `seed ${seed}: the orange goal is visible`);
      return v.camera.pixelRay(blob!.cx, blob!.cy);
    });
    const goal = triangulate(rays)!;
    t.true(
      dist(goal, env.privileged().goal) < 0.015,
      `seed ${seed}: centroid triangulation off by ${(dist(goal, env.privileged().goal) * 1000).toFixed(1)} mm`,
    );
  });
});

test('silhouette fits locate the task objects within a few millimetres', async (t) => {
  const cases: [EnvId, string, (f: Frame) => number[] | undefined, (e: ManipulationEnv) => number[], number][] = [
    ['metaworld/push-v3', 'puck', (f) => P.locatePuck(f), (e) => e.privileged().object, 0.008],
    ['metaworld/push-v3', 'push goal', (f) => P.locatePushGoal(f), (e) => e.privileged().goal, 0.012],
    ['metaworld/pick-place-v3', 'pick goal (3-D)', (f) => P.locatePickGoal(f), (e) => e.privileged().goal, 0.015],
    ['metaworld/peg-insert-v3', 'hole block', (f) => P.locateHoleBlock(f), (e) => e.privileged().holeBox!, 0.006],
    ['metaworld/button-press-v3', 'button', (f) => P.locateButton(f), (e) => e.bodyPos('button_box'), 0.004],
    ['metaworld/drawer-open-v3', 'drawer', (f) => [P.locateDrawer(f)!, M.DRAWER_Y, 0], (e) => e.bodyPos('drawer'), 0.005],
    [
      'metaworld/door-open-v3',
      'door hinge',
      (f) => P.locateDoorHinge(f),
      (e) => {
        const d = e.bodyPos('door');
        return [d[0] + M.HINGE_FROM_DOOR[0], d[1] + M.HINGE_FROM_DOOR[1], d[2]];
      },
      0.008,
    ],
  ];
  for (const [envId, what, locate, truth, tolerance] of cases) {
    await withFrames(envId, SEEDS, (frame, env, seed) => {
      const found = locate(frame);
      t.truthy(found, `${what}, seed ${seed}: found`);
      const err = dist(found!, truth(env));
      t.true(err < tolerance, `${what}, seed ${seed}: off by ${(err * 1000).toFixed(1)} mm (tolerance ${tolerance * 1000} mm)`);
    });
  }
});

test('the drawer slide and the peg are measured from the images', async (t) => {
  await withFrames('metaworld/drawer-close-v3', SEEDS, (frame, env, seed) => {
    const slide = P.drawerSlide(frame, P.locateDrawer(frame)!);
    t.true(Math.abs(slide! - env.privileged().drawerSlide!) < 0.005, `seed ${seed}: slide ${slide} vs ${env.privileged().drawerSlide}`);
  });
  await withFrames('metaworld/peg-insert-v3', SEEDS, (frame, env, seed) => {
    const peg = P.locatePeg(frame)!;
    const truth = env.bodyPos('peg');
    // Across the peg (what the grasp needs) it is precise; along it the fingers hide an end.
    t.true(Math.abs(peg[1] - truth[1]) < 0.005, `seed ${seed}: peg y off by ${((peg[1] - truth[1]) * 1000).toFixed(1)} mm`);
    t.true(Math.abs(peg[0] - truth[0]) < 0.025, `seed ${seed}: peg x off by ${((peg[0] - truth[0]) * 1000).toFixed(1)} mm`);
  });
});

test('each scene is recognised from its first frame (drawer-open vs drawer-close by the drawer slide)', async (t) => {
  for (const envId of ENV_IDS) {
    await withFrames(envId, [5, 6], (frame, _env, seed) => {
      t.is(identifyScene(frame)[0], envId, `seed ${seed}`);
    });
  }
});

test('the table colour fingerprints a task: stable within an episode, different between tasks', async (t) => {
  const prints = new Set<string>();
  const env = await ManipulationEnv.create('metaworld/push-v3', { randomization: 'metaworld', images: true, imageHook: hook });
  try {
    for (const seed of SEEDS) {
      let obs = env.reset(generateTask('metaworld/push-v3', mwInstance(seed)));
      const first = buildFrame(obs).fingerprint;
      t.regex(first, /^\d+,\d+,\d+\|\d+,\d+,\d+$/);
      for (let i = 0; i < 15; i++) obs = env.step({ continuous: { ee_twist: [0.5, 1, -1, 0, 0, 0], gripper: [1] } }).observation;
      t.is(buildFrame(obs).fingerprint, first, `seed ${seed}: the moving arm does not change it`);
      prints.add(first);
    }
  } finally {
    env.close();
  }
  t.is(prints.size, SEEDS.length);
});

test('colour classes are what the scenes are made of', async (t) => {
  await withFrames('metaworld/button-press-v3', [0], (frame) => {
    for (const v of frame.views) {
      const h = classHistogram(v.labels);
      t.true(h[ColourClass.Yellow]! > 80, 'the button frame is yellow');
      t.true(h[ColourClass.Table]! > 700, 'the table is the table'); // ≈ 900–1,400 table pixels per view
      t.is(h[ColourClass.Brick], 0);
    }
  });
});
