/**
 * The camera renderer's TypeScript path, its published camera matrices and its reading of the MuJoCo
 * model, on the fixture scene (test/fixtures/render-scene.xml). gpu.js is covered in
 * render-gpu.test.ts, the simulator's real scenes and the CLI in render-env.test.ts.
 */
import test from 'ava';
import { CameraRenderer, cameraExtrinsics, cameraIntrinsics, projectPoint } from '../src/sim/render/index.ts';
import { renderViewNaive, renderViewTs } from '../src/sim/render/raycast-ts.ts';
import { SceneSnapshot } from '../src/sim/render/scene-snapshot.ts';
import { ViewBatch, prepareView } from '../src/sim/render/view-batch.ts';
import { decodeImage } from '../src/sim/protocol.ts';
import { loadRenderFixture, type FixtureScene } from './fixtures/render-scene.ts';

const CAMERAS = ['corner', 'corner2'] as const;

/** Renders one view with the TypeScript caster and returns pixels plus the source id hit per pixel. */
function renderWithIds(scene: FixtureScene, camera: string, width = 84, height = 84, options: { sites?: boolean } = {}) {
  const snap = new SceneSnapshot().read(scene, [camera], options);
  const batch = new ViewBatch({ width, height, tileSize: 4, maxPerTile: 32 });
  batch.ensure(1, snap.nPrims);
  prepareView(snap, 0, batch, 0, false);
  const pixels = new Uint8Array(width * height * 3);
  const ids = new Int32Array(width * height);
  renderViewTs(batch, 0, pixels, 0, ids);
  return { pixels, ids, batch };
}

function rgbAt(pixels: Uint8Array, width: number, col: number, row: number): [number, number, number] {
  const o = (row * width + col) * 3;
  return [pixels[o]!, pixels[o + 1]!, pixels[o + 2]!];
}

function chromaCosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < 3; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function countDifferentPixels(a: Uint8Array, b: Uint8Array, tolerance = 0): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 3) {
    if (Math.abs(a[i]! - b[i]!) > tolerance || Math.abs(a[i + 1]! - b[i + 1]!) > tolerance || Math.abs(a[i + 2]! - b[i + 2]!) > tolerance) n++;
  }
  return n;
}

function countId(ids: Int32Array, id: number): number {
  let n = 0;
  for (const v of ids) if (v === id) n++;
  return n;
}

test('a known object projected with the published intrinsics/extrinsics lands on pixels of its colour', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const renderer = new CameraRenderer({ backend: 'ts' });
    const [obs] = renderer.observe([scene]);
    for (const camera of CAMERAS) {
      const K = obs!.cam_intrinsics[camera]!,
        E = obs!.cam_extrinsics[camera]!;
      const image = decodeImage(obs!.rgb[camera]!);
      const { ids } = renderWithIds(scene, camera);
      for (const name of ['ball', 'block', 'egg']) {
        const g = scene.geomId(name);
        const centre = scene.data.geom_xpos.subarray(3 * g, 3 * g + 3);
        const [u, v, depth] = projectPoint(K, E, centre);
        t.true(depth > 0, `${name} in front of ${camera}`);
        const col = Math.round(u),
          row = Math.round(v);
        t.true(col >= 0 && col < 84 && row >= 0 && row < 84, `${name} inside the ${camera} image (${u.toFixed(1)}, ${v.toFixed(1)})`);
        t.is(ids[row * 84 + col], g, `${camera}: pixel (${col}, ${row}) shows ${name}`);
        const rgba = scene.model.geom_rgba.subarray(4 * g, 4 * g + 3);
        const pixel = rgbAt(image, 84, col, row);
        t.true(chromaCosine(pixel, rgba) > 0.995, `${camera}: ${name} pixel ${pixel} has the colour of rgba ${Array.from(rgba)}`);
      }
    }
    renderer.destroy();
  } finally {
    scene.close();
  }
});

test('rays through pixel centres from the published matrices hit what MuJoCo mj_ray hits', async (t) => {
  const scene = await loadRenderFixture();
  const { mj, model, data } = scene;
  const geomid = new mj.IntBuffer(1);
  try {
    const renderer = new CameraRenderer({ backend: 'ts', cameras: [...CAMERAS, 'topview'] });
    const [obs] = renderer.observe([scene]);
    for (const camera of [...CAMERAS, 'topview']) {
      const K = obs!.cam_intrinsics[camera]!,
        E = obs!.cam_extrinsics[camera]!;
      const { ids } = renderWithIds(scene, camera);
      // camera centre and pixel rays from E⁻¹ (its rotation block is orthogonal: inverse = transpose)
      const R = E.slice(0, 3).map((r) => r.slice(0, 3));
      const tr = E.slice(0, 3).map((r) => r[3]!);
      const origin = [0, 1, 2].map((j) => -(R[0]![j]! * tr[0]! + R[1]![j]! * tr[1]! + R[2]![j]! * tr[2]!));
      let compared = 0,
        disagree = 0;
      for (let row = 1; row < 84; row += 3) {
        for (let col = 1; col < 84; col += 3) {
          const ours = ids[row * 84 + col]!;
          if (ours < 0 && ours !== -0x80000000) continue; // a site: mj_ray only sees geoms
          const x = (col - K[0]![2]!) / K[0]![0]!,
            y = (row - K[1]![2]!) / K[1]![1]!;
          const dir = [0, 1, 2].map((j) => R[0]![j]! * x + R[1]![j]! * y + R[2]![j]!);
          mj.mj_ray(model, data, origin, dir, [1, 1, 1, 0, 0, 0], true, -1, geomid, null);
          const theirs = geomid.GetView()[0]!;
          compared++;
          if (theirs !== (ours === -0x80000000 ? -1 : ours)) disagree++;
        }
      }
      t.log(`${camera}: ${disagree}/${compared} disagree`);
      t.true(compared > 700, `${camera}: compared ${compared} pixels`);
      t.true(disagree <= compared * 0.005, `${camera}: ${disagree} of ${compared} sampled pixels disagree with mj_ray`);
    }
    renderer.destroy();
  } finally {
    geomid.delete();
    scene.close();
  }
});

test("images come in the original orientation: MuJoCo's camera image flipped vertically, world up at the top", async (t) => {
  const scene = await loadRenderFixture();
  try {
    const renderer = new CameraRenderer({ backend: 'ts' });
    const [obs] = renderer.observe([scene]);
    for (const camera of CAMERAS) {
      const K = obs!.cam_intrinsics[camera]!,
        E = obs!.cam_extrinsics[camera]!;
      // row 0 looks toward MuJoCo's camera -y ("down"): the y row of E is MuJoCo's up axis
      const c = scene.camId(camera);
      const xmat = scene.data.cam_xmat.subarray(9 * c, 9 * c + 9);
      t.deepEqual(
        E[1]!.slice(0, 3).map((x) => x.toFixed(9)),
        [xmat[1]!, xmat[4]!, xmat[7]!].map((x) => x.toFixed(9)),
      );
      // for the corner cameras (MuJoCo up ≈ world down) that puts world up at the top of the picture
      const above = projectPoint(K, E, [0.2, 0.8, 0.3]),
        below = projectPoint(K, E, [0.2, 0.8, 0]);
      t.true(above[1] < below[1], `${camera}: a higher point has a smaller row (${above[1].toFixed(1)} vs ${below[1].toFixed(1)})`);
      // and the sky (background) fills the top rows, the floor or table the bottom ones
      const { ids } = renderWithIds(scene, camera);
      t.is(ids[0], -0x80000000, `${camera}: top-left pixel is background`);
      t.not(ids[83 * 84 + 42], -0x80000000, `${camera}: bottom-centre pixel is geometry`);
    }
    renderer.destroy();
  } finally {
    scene.close();
  }
});

test('rgb is the original EncodedImage: base64 of raw H×W×3 uint8, decoding to the rendered pixels', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const renderer = new CameraRenderer({ backend: 'ts' });
    const [obs] = renderer.observe([scene]);
    t.deepEqual(Object.keys(obs!.rgb), ['corner', 'corner2']);
    const images = renderer.render([scene]);
    for (const camera of CAMERAS) {
      const img = obs!.rgb[camera]!;
      t.deepEqual(img.shape, [84, 84, 3]);
      t.is(img.dtype, 'uint8');
      t.is(img.data.length, 28224);
      t.regex(img.data, /^[A-Za-z0-9+/]+={0,2}$/);
      t.deepEqual(decodeImage(img), images.image(0, camera));
    }
    renderer.destroy();
  } finally {
    scene.close();
  }
});

test('intrinsics follow fovy and image size; extrinsics are world→camera with the camera at the origin', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const renderer = new CameraRenderer({ backend: 'ts', width: 96, height: 64 });
    const [obs] = renderer.observe([scene]);
    const K = obs!.cam_intrinsics.corner2!;
    const f = 32 / Math.tan((60 * Math.PI) / 360);
    t.deepEqual(
      K.map((r) => r.map((x) => +x.toFixed(9))),
      [
        [+f.toFixed(9), 0, 47.5],
        [0, +f.toFixed(9), 31.5],
        [0, 0, 1],
      ],
    );
    for (const camera of CAMERAS) {
      const E = obs!.cam_extrinsics[camera]!;
      const R = E.slice(0, 3).map((r) => r.slice(0, 3));
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const dot = R[i]![0]! * R[j]![0]! + R[i]![1]! * R[j]![1]! + R[i]![2]! * R[j]![2]!;
          t.true(Math.abs(dot - (i === j ? 1 : 0)) < 1e-9, 'rotation block is orthonormal');
        }
      }
      const det =
        R[0]![0]! * (R[1]![1]! * R[2]![2]! - R[1]![2]! * R[2]![1]!) -
        R[0]![1]! * (R[1]![0]! * R[2]![2]! - R[1]![2]! * R[2]![0]!) +
        R[0]![2]! * (R[1]![0]! * R[2]![1]! - R[1]![1]! * R[2]![0]!);
      t.true(Math.abs(det + 1) < 1e-9, 'the delivered (mirrored) image has a left-handed camera frame');
      const c = scene.camId(camera);
      const pos = scene.data.cam_xpos.subarray(3 * c, 3 * c + 3);
      const q = [0, 1, 2].map((i) => E[i]![0]! * pos[0]! + E[i]![1]! * pos[1]! + E[i]![2]! * pos[2]! + E[i]![3]!);
      t.true(
        q.every((x) => Math.abs(x) < 1e-9),
        'the camera position maps to the origin',
      );
      t.deepEqual(E[3], [0, 0, 0, 1]);
    }
    // the pure helpers agree with what observe() publishes
    t.deepEqual(cameraIntrinsics(60, 96, 64), obs!.cam_intrinsics.corner2);
    const c = scene.camId('corner');
    t.deepEqual(cameraExtrinsics(scene.data.cam_xpos.subarray(3 * c, 3 * c + 3), scene.data.cam_xmat.subarray(9 * c, 9 * c + 9)), obs!.cam_extrinsics.corner);
    renderer.destroy();
  } finally {
    scene.close();
  }
});

test('non-square images: projection and pixels stay consistent', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const renderer = new CameraRenderer({ backend: 'ts', width: 120, height: 72 });
    const [obs] = renderer.observe([scene]);
    for (const camera of CAMERAS) {
      const { ids } = renderWithIds(scene, camera, 120, 72);
      const g = scene.geomId('ball');
      const [u, v] = projectPoint(obs!.cam_intrinsics[camera]!, obs!.cam_extrinsics[camera]!, scene.data.geom_xpos.subarray(3 * g, 3 * g + 3));
      t.is(ids[Math.round(v) * 120 + Math.round(u)], g, `${camera}: ball centre pixel`);
    }
    renderer.destroy();
  } finally {
    scene.close();
  }
});

test('the pruned caster matches the naive every-geom-every-pixel caster', async (t) => {
  const scene = await loadRenderFixture();
  try {
    for (const [width, height] of [
      [84, 84],
      [64, 40],
    ] as const) {
      const snap = new SceneSnapshot().read(scene, ['corner', 'corner2', 'topview']);
      const batch = new ViewBatch({ width, height, tileSize: 4, maxPerTile: 32 });
      batch.ensure(3, snap.nPrims);
      for (let v = 0; v < 3; v++) {
        prepareView(snap, v, batch, v, false);
        const fast = new Uint8Array(width * height * 3),
          naive = new Uint8Array(width * height * 3);
        renderViewTs(batch, v, fast);
        renderViewNaive(batch, v, naive);
        const differing = countDifferentPixels(fast, naive, 1);
        t.true(differing <= width * height * 0.002, `view ${v} at ${width}×${height}: ${differing} pixels differ`);
      }
    }
  } finally {
    scene.close();
  }
});

test('pruning never drops a hit: pruned and naive casters agree from random camera poses', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const c = scene.camId('corner');
    let state = 20240607;
    const rand = () => (state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
    const W = 48,
      snap = new SceneSnapshot(),
      batch = new ViewBatch({ width: W, height: W, tileSize: 4, maxPerTile: 32 });
    const fast = new Uint8Array(W * W * 3),
      naive = new Uint8Array(W * W * 3);
    let worst = 0;
    for (let trial = 0; trial < 60; trial++) {
      // every third pose close to the objects (inside some bounding spheres), the rest anywhere around
      const pos =
        trial % 3 === 0 ? [-0.3 + 0.6 * rand(), 0.4 + 0.5 * rand(), 0.01 + 0.3 * rand()] : [-2 + 4 * rand(), -1.5 + 3.5 * rand(), -0.8 + 2.3 * rand()];
      const q = [rand() - 0.5, rand() - 0.5, rand() - 0.5, rand() - 0.5];
      const n = Math.hypot(...q);
      scene.model.cam_pos.set(pos, 3 * c);
      scene.model.cam_quat.set(
        q.map((x) => x / n),
        4 * c,
      );
      scene.model.cam_fovy[c] = 20 + 100 * rand();
      scene.forward();
      snap.read(scene, ['corner']);
      batch.ensure(1, snap.nPrims);
      prepareView(snap, 0, batch, 0, false);
      renderViewTs(batch, 0, fast);
      renderViewNaive(batch, 0, naive);
      worst = Math.max(worst, countDifferentPixels(fast, naive, 1));
    }
    t.true(worst <= 2, `worst pose: ${worst} pixels differ`);
  } finally {
    scene.close();
  }
});

test('domain randomization in the model shows: field of view, colours and lights are read every frame', async (t) => {
  const scene = await loadRenderFixture();
  const { model } = scene;
  try {
    const renderer = new CameraRenderer({ backend: 'ts' });
    const copy = () => Uint8Array.from(renderer.render([scene]).image(0, 'corner'));
    const base = copy();
    const ball = scene.geomId('ball');
    const ballPixels = countId(renderWithIds(scene, 'corner').ids, ball);

    // wider field of view: same pose, the ball covers fewer pixels
    const c = scene.camId('corner');
    model.cam_fovy[c] = 60;
    const wide = copy();
    t.true(countDifferentPixels(base, wide) > 1000);
    t.true(countId(renderWithIds(scene, 'corner').ids, ball) < ballPixels * 0.8);
    model.cam_fovy[c] = 45;
    t.deepEqual(copy(), base, 'restoring fovy restores the image');

    // colour
    const rgba = model.geom_rgba.slice(4 * ball, 4 * ball + 4);
    model.geom_rgba.set([1, 0, 0, 1], 4 * ball);
    const [obs] = renderer.observe([scene]);
    const [u, v] = projectPoint(obs!.cam_intrinsics.corner!, obs!.cam_extrinsics.corner!, scene.data.geom_xpos.subarray(3 * ball, 3 * ball + 3));
    const red = rgbAt(decodeImage(obs!.rgb.corner!), 84, Math.round(u), Math.round(v));
    t.true(red[0] > 100 && red[1] === 0 && red[2] === 0, `recoloured ball pixel ${red}`);
    model.geom_rgba.set(rgba, 4 * ball);

    // light intensity: dimmer lights, darker image
    const diffuse = model.light_diffuse.slice();
    for (let i = 0; i < diffuse.length; i++) model.light_diffuse[i] = diffuse[i]! * 0.2;
    const dim = copy();
    const brightness = (img: Uint8Array) => img.reduce((a, b) => a + b, 0);
    t.true(brightness(dim) < brightness(base) * 0.95, 'dimmer lights give a darker image');
    model.light_diffuse.set(diffuse);

    // light direction: rewriting the model's light_dir takes effect after mj_forward
    const dir = model.light_dir.slice();
    model.light_dir.set([0, 0, -1], 0);
    scene.forward();
    t.true(countDifferentPixels(base, copy()) > 200, 'a new light direction changes the shading');
    model.light_dir.set(dir);
    scene.forward();
    t.deepEqual(copy(), base);
    renderer.destroy();
  } finally {
    scene.close();
  }
});

test('different poses give different images, and the same pose the same image', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const renderer = new CameraRenderer({ backend: 'ts' });
    const snapshot = () => Uint8Array.from(renderer.render([scene]).pixels);
    const base = snapshot();
    t.deepEqual(snapshot(), base, 'rendering is deterministic');
    scene.data.mocap_pos[0] += 0.15; // slide the hand along x
    scene.forward();
    const moved = snapshot();
    t.true(countDifferentPixels(base, moved) > 50, 'moving the hand changes the images');
    for (let i = 0; i < 100; i++) scene.mj.mj_step(scene.model, scene.data); // the puck and ball settle
    t.true(countDifferentPixels(moved, snapshot()) > 0, 'stepping physics changes the images');
    renderer.destroy();
  } finally {
    scene.close();
  }
});

test('hidden things stay hidden: alpha 0, group ≥ 3, transparent sites; visible sites are drawn', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const hidden = [scene.geomId('ghost'), scene.geomId('table_collision'), -1 - scene.siteId('grip')];
    const goal = -1 - scene.siteId('goal');
    let sawGoal = false;
    for (const camera of [...CAMERAS, 'topview']) {
      const { ids } = renderWithIds(scene, camera, 168, 168);
      for (const id of hidden) t.is(countId(ids, id), 0, `${camera}: ${id} never drawn`);
      sawGoal ||= countId(ids, goal) > 0;
      t.is(countId(renderWithIds(scene, camera, 168, 168, { sites: false }).ids, goal), 0, 'sites: false hides sites');
    }
    t.true(sawGoal, 'the opaque goal site is drawn');
  } finally {
    scene.close();
  }
});

test('batched output equals single renders (TypeScript backend)', async (t) => {
  const a = await loadRenderFixture();
  const b = await loadRenderFixture();
  try {
    b.data.mocap_pos[1] -= 0.1;
    b.model.geom_rgba.set([0.9, 0.9, 0.1, 1], 4 * b.geomId('block'));
    b.forward();
    const renderer = new CameraRenderer({ backend: 'ts' });
    const batch = Uint8Array.from(renderer.render([a, b]).pixels);
    const single = Uint8Array.from([...renderer.render([a]).pixels, ...renderer.render([b]).pixels]);
    t.deepEqual(batch, single);
    t.true(countDifferentPixels(batch.subarray(0, 2 * 84 * 84 * 3), batch.subarray(2 * 84 * 84 * 3)) > 50, 'the two scenes differ');
    const obs = renderer.observe([a, b]);
    t.is(obs.length, 2);
    t.notDeepEqual(obs[0]!.rgb.corner!.data, obs[1]!.rgb.corner!.data);
    renderer.destroy();
  } finally {
    a.close();
    b.close();
  }
});

test('the static picture kept per scene and camera gives the same pixels as drawing everything, and is redrawn when anything static changes', async (t) => {
  const scene = await loadRenderFixture();
  try {
    // welded bodies only here (restingFrames: 0); resting moving bodies are the next test's
    const cached = new CameraRenderer({ backend: 'ts', restingFrames: 0 });
    const full = new CameraRenderer({ backend: 'ts', staticCache: false });
    const same = (what: string) => t.deepEqual(Uint8Array.from(cached.render([scene]).pixels), Uint8Array.from(full.render([scene]).pixels), what);
    // The hand (mocap) moves through the view; the table, walls and floor stay put.
    for (let i = 0; i < 12; i++) {
      scene.data.mocap_pos[0] += 0.03;
      scene.data.mocap_pos[2] -= 0.01;
      scene.forward();
      same(`frame ${i}`);
    }
    t.is(cached.staticStats.redrawn, 2, 'drawn once per camera');
    t.is(cached.staticStats.reused, 22);
    // Anything the static picture depends on invalidates it: a static geom's colour, a light, the field of view.
    const top = scene.geomId('table_top');
    scene.model.geom_rgba.set([0.2, 0.8, 0.2, 1], 4 * top);
    same('recoloured table');
    scene.model.light_diffuse[0] = 0.9;
    same('brighter light');
    scene.model.cam_fovy[scene.camId('corner')] = 50;
    same('wider camera');
    t.is(cached.staticStats.redrawn, 2 + 2 + 2 + 1);
    cached.destroy();
    full.destroy();
  } finally {
    scene.close();
  }
});

test('unknown cameras and bad sizes are reported clearly', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const renderer = new CameraRenderer({ backend: 'ts', cameras: ['corner', 'nope'] });
    t.throws(() => renderer.render([scene]), { message: /camera "nope" is not in the model/ });
    t.throws(() => new CameraRenderer({ width: 0 }), { message: /width/ });
    t.throws(() => new CameraRenderer({ cameras: [] }), { message: /at least one camera/ });
    const ok = new CameraRenderer({ backend: 'ts' });
    ok.destroy();
    t.throws(() => ok.render([scene]), { message: /after destroy/ });
  } finally {
    scene.close();
  }
});

test('moving bodies at rest join the static picture and leave it when they move, with the same pixels as drawing everything', async (t) => {
  const scene = await loadRenderFixture();
  try {
    const cached = new CameraRenderer({ backend: 'ts', restingFrames: 3 });
    const full = new CameraRenderer({ backend: 'ts', staticCache: false });
    const same = (what: string) => t.deepEqual(Uint8Array.from(cached.render([scene]).pixels), Uint8Array.from(full.render([scene]).pixels), what);
    const puck = scene.model.jnt_qposadr[scene.mj.mj_name2id(scene.model, scene.mj.mjtObj.mjOBJ_JOINT.value, 'puck_free')]!;
    // The hand moves every frame; the puck, ball, egg and block (free or jointed bodies) stay put.
    for (let i = 0; i < 8; i++) {
      scene.data.mocap_pos[0] += 0.02;
      scene.forward();
      same(`frame ${i}`);
    }
    // first frame: welded only; from the 4th on (3 unchanged frames) the resting bodies are in too
    t.is(cached.staticStats.redrawn, 2 + 2, 'redrawn once per camera when the resting bodies joined');
    // The puck slides under the hand's path: it leaves the picture (redraw), then rests again, now
    // for twice as long (6 frames), and rejoins (redraw).
    for (let i = 0; i < 8; i++) {
      if (i < 2) scene.data.qpos[puck] += 0.03;
      scene.data.mocap_pos[0] -= 0.02;
      scene.forward();
      same(`puck frame ${i}`);
    }
    t.is(cached.staticStats.redrawn, 2 + 2 + 2 + 2);
    t.is(cached.staticStats.reused + cached.staticStats.redrawn, 2 * 16);
    // Start-stop: moved every 7th frame, it has to rest 12 frames now, so it stays out (no redraws).
    const before = cached.staticStats.redrawn;
    for (let i = 0; i < 14; i++) {
      if (i % 7 === 0) scene.data.qpos[puck] -= 0.01;
      scene.data.mocap_pos[0] += 0.01; // the hand keeps moving
      scene.forward();
      same(`start-stop frame ${i}`);
    }
    t.is(cached.staticStats.redrawn, before + 2, 'left once more (redraw), then never rested long enough to rejoin');
    cached.destroy();
    full.destroy();
  } finally {
    scene.close();
  }
});
