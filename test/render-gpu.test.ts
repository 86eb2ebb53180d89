/**
 * The gpu.js kernel against the TypeScript caster. Without a GPU, gpu.js runs the same kernel as
 * WebAssembly ('webasm', f32) or transpiled JavaScript ('cpu', f64); both are exercised here.
 */
import test from 'ava';
import { CameraRenderer } from '../src/sim/render/index.ts';
import type { GpuMode } from '../src/sim/render/gpu-kernel.ts';
import { RENDER_FIXTURE_XML, loadRenderFixture, type FixtureScene } from './fixtures/render-scene.ts';

const CAMERAS = ['corner', 'corner2', 'topview'];

/** Pixels whose channels differ by more than `tolerance` (f32 vs f64 rounding may move a channel by 1). */
function differingPixels(a: Uint8Array, b: Uint8Array, tolerance = 2): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 3) {
    if (Math.abs(a[i]! - b[i]!) > tolerance || Math.abs(a[i + 1]! - b[i + 1]!) > tolerance || Math.abs(a[i + 2]! - b[i + 2]!) > tolerance) n++;
  }
  return n;
}

function renderBoth(scenes: FixtureScene[], gpuMode: GpuMode, options: { maxPerTile?: number; tileSize?: number; width?: number; height?: number } = {}) {
  const ts = new CameraRenderer({ backend: 'ts', cameras: CAMERAS, ...options });
  const gpu = new CameraRenderer({ backend: 'gpu', gpuMode, cameras: CAMERAS, ...options });
  try {
    return { ts: Uint8Array.from(ts.render(scenes).pixels), gpu: Uint8Array.from(gpu.render(scenes).pixels), mode: gpu.gpuMode };
  } finally {
    ts.destroy();
    gpu.destroy();
  }
}

for (const mode of ['webasm', 'cpu'] as const) {
  test(`gpu.js ${mode} and the TypeScript caster agree (≤ 1 % of pixels differ)`, async (t) => {
    const scene = await loadRenderFixture();
    try {
      const { ts, gpu, mode: actual } = renderBoth([scene], mode);
      t.is(actual, mode);
      const differing = differingPixels(ts, gpu);
      t.log(`${differing} of ${ts.length / 3} pixels differ`);
      t.true(differing <= (ts.length / 3) * 0.01);
    } finally {
      scene.close();
    }
  });
}

test('gpu batched output equals single renders', async (t) => {
  const a = await loadRenderFixture();
  const b = await loadRenderFixture();
  try {
    b.data.mocap_pos[0] += 0.2;
    b.model.cam_fovy[b.camId('corner')] = 50;
    b.forward();
    const renderer = new CameraRenderer({ backend: 'gpu', gpuMode: 'webasm', cameras: CAMERAS });
    const batch = Uint8Array.from(renderer.render([a, b]).pixels);
    const single = Uint8Array.from([...renderer.render([a]).pixels, ...renderer.render([b]).pixels]);
    t.deepEqual(batch, single);
    const half = batch.length / 2;
    t.true(differingPixels(batch.subarray(0, half), batch.subarray(half), 0) > 100, 'the scenes differ');
    renderer.destroy();
  } finally {
    a.close();
    b.close();
  }
});

test('overflowing tiles fall back to testing every primitive, still matching', async (t) => {
  const scene = await loadRenderFixture();
  try {
    // two slots per 12-pixel tile: most tiles overflow
    const { ts, gpu } = renderBoth([scene], 'webasm', { maxPerTile: 2, tileSize: 12 });
    t.true(differingPixels(ts, gpu) <= (ts.length / 3) * 0.01);
  } finally {
    scene.close();
  }
});

test('scenes of different sizes in one batch, and capacity growth between calls', async (t) => {
  const small = await loadRenderFixture();
  const crowdXml = RENDER_FIXTURE_XML.replace(
    '</worldbody>',
    Array.from(
      { length: 60 },
      (_, i) =>
        `<geom type="sphere" size="0.012" pos="${-0.5 + (i % 12) * 0.09} ${0.3 + Math.floor(i / 12) * 0.12} 0.05" rgba="${(i % 5) / 5} 0.5 ${1 - (i % 7) / 7} 1"/>`,
    ).join('\n') + '</worldbody>',
  );
  const crowded = await loadRenderFixture(crowdXml);
  try {
    const renderer = new CameraRenderer({ backend: 'gpu', gpuMode: 'webasm', cameras: CAMERAS });
    const reference = new CameraRenderer({ backend: 'ts', cameras: CAMERAS });
    const first = Uint8Array.from(renderer.render([small]).pixels); // kernels sized for ~21 primitives
    const mixed = Uint8Array.from(renderer.render([small, crowded]).pixels); // grows to 80+
    t.deepEqual(mixed.subarray(0, first.length), first, 'the small scene renders the same after the rebuild');
    const expected = reference.render([small, crowded]).pixels;
    t.true(differingPixels(mixed, expected) <= (expected.length / 3) * 0.01);
    renderer.destroy();
    reference.destroy();
  } finally {
    small.close();
    crowded.close();
  }
});

test('point and spot lights: both paths agree, a spot lights only its cone', async (t) => {
  const spot = '<light name="spot" pos="0.3 0.7 0.8" dir="0 0 -1" cutoff="15" exponent="4" diffuse="1 0.9 0.6"/>';
  const bulb = '<light name="bulb" type="point" pos="-0.4 0.4 0.4" diffuse="0.4 0.4 0.6" attenuation="1 0.5 0"/>';
  const plain = await loadRenderFixture();
  const spotOnly = await loadRenderFixture(RENDER_FIXTURE_XML.replace('</worldbody>', `${spot}</worldbody>`));
  const both = await loadRenderFixture(RENDER_FIXTURE_XML.replace('</worldbody>', `${spot}${bulb}</worldbody>`));
  try {
    const { ts, gpu } = renderBoth([both], 'webasm');
    t.true(differingPixels(ts, gpu) <= (ts.length / 3) * 0.01);

    const renderer = new CameraRenderer({ backend: 'ts', cameras: ['topview'] });
    const [withSpot, withBoth, without] = renderer.observe([spotOnly, both, plain]);
    const K = without!.cam_intrinsics.topview!,
      E = without!.cam_extrinsics.topview!;
    const brightness = (data: string, p: number[]) => {
      const q = [0, 1, 2].map((i) => E[i]![0]! * p[0]! + E[i]![1]! * p[1]! + E[i]![2]! * p[2]! + E[i]![3]!);
      const col = Math.round(K[0]![0]! * (q[0]! / q[2]!) + K[0]![2]!),
        row = Math.round(K[1]![1]! * (q[1]! / q[2]!) + K[1]![2]!);
      const bytes = Buffer.from(data, 'base64');
      const o = (row * 84 + col) * 3;
      return bytes[o]! + bytes[o + 1]! + bytes[o + 2]!;
    };
    const underSpot = [0.3, 0.7, 0],
      outsideCone = [-0.45, 0.45, 0];
    t.true(brightness(withSpot!.rgb.topview!.data, underSpot) > brightness(without!.rgb.topview!.data, underSpot) + 60, 'inside the cone');
    t.is(brightness(withSpot!.rgb.topview!.data, outsideCone), brightness(without!.rgb.topview!.data, outsideCone), 'outside the cone');
    t.true(brightness(withBoth!.rgb.topview!.data, outsideCone) > brightness(withSpot!.rgb.topview!.data, outsideCone) + 30, 'the point light');
    renderer.destroy();
  } finally {
    plain.close();
    spotOnly.close();
    both.close();
  }
});

test('asynchronous gpu.js (threaded webasm): renderBatch matches, concurrent calls stay separate', async (t) => {
  const a = await loadRenderFixture();
  const b = await loadRenderFixture();
  try {
    b.data.mocap_pos[2] += 0.1;
    b.forward();
    const renderer = new CameraRenderer({ backend: 'gpu', gpuMode: 'async' });
    const reference = new CameraRenderer({ backend: 'ts' });
    t.throws(() => renderer.render([a]), { message: /asynchronous/ });
    const [ra, rb] = await Promise.all([renderer.renderBatch([a]), renderer.renderBatch([b])]);
    const [ea, eb] = reference.observe([a, b]);
    for (const [got, want] of [
      [ra![0]!, ea!],
      [rb![0]!, eb!],
    ] as const) {
      for (const camera of ['corner', 'corner2']) {
        const differing = differingPixels(Buffer.from(got.rgb[camera]!.data, 'base64'), Buffer.from(want.rgb[camera]!.data, 'base64'));
        t.true(differing <= 84 * 84 * 0.01, `${camera}: ${differing} pixels differ`);
      }
      t.deepEqual(got.cam_extrinsics, want.cam_extrinsics);
    }
    t.notDeepEqual(ra![0]!.rgb.corner, rb![0]!.rgb.corner);
    renderer.destroy();
    reference.destroy();
  } finally {
    a.close();
    b.close();
  }
});
