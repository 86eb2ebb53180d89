/**
 * The TypeScript caster's static pictures (CameraRenderer's `staticCache` and `restingFrames`): per
 * scene and camera, the picture of the primitives that cannot move, or have rested long enough, kept
 * and reused while its key (camera, lights, every static primitive's record) is unchanged, so only
 * the moving primitives are drawn each frame and the output is the same either way.
 */
import { renderStaticBase, type StaticBase } from './raycast-ts.ts';
import { SNAP_CAM, SNAP_LIGHT, SNAP_PRIM, type RenderScene, type SceneSnapshot } from './scene-snapshot.ts';
import { prepareView, type ViewBatch } from './view-batch.ts';

export class StaticPictures {
  /** Static pictures per scene (keyed by its MjData) and camera. */
  private readonly pictures = new WeakMap<object, StaticView[]>();
  private scratchKey = new Float64Array(256);
  /** Per scene (keyed by its MjData): last frame's primitive records and how long each has been unchanged. */
  private readonly resting = new WeakMap<object, RestingState>();

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly restingFrames: number,
    /** Pictures reused / redrawn (the renderer's `staticStats`). */
    private readonly stats: { reused: number; redrawn: number },
  ) {}

  /**
   * The static picture of camera `c` of a scene: reused when its key (camera, lights, every static
   * primitive's record) is unchanged, else redrawn into view slot `v`. Null when the scene has no
   * static primitives.
   */
  view(scene: RenderScene, snap: SceneSnapshot, c: number, batch: ViewBatch, v: number): StaticBase | null {
    if (snap.nStatic === 0) return null;
    const owner = scene.data as object;
    let perCamera = this.pictures.get(owner);
    if (!perCamera) this.pictures.set(owner, (perCamera = []));
    const key = this.staticKey(snap, c);
    let entry = perCamera[c];
    if (entry && entry.key.length === key.length && sameValues(entry.key, key)) {
      this.stats.reused += 1;
      return entry.base;
    }
    const N = this.width * this.height;
    entry ??= { key: new Float64Array(0), base: { depth: new Float64Array(N), rgb: new Uint8Array(N * 3) } };
    entry.key = key.slice();
    perCamera[c] = entry;
    prepareView(snap, c, batch, v, false, 'static');
    renderStaticBase(batch, v, entry.base);
    this.stats.redrawn += 1;
    return entry.base;
  }

  /**
   * Flags as static, for this frame, every primitive whose record has been unchanged for
   * `restingFrames` frames of this scene (see the option). Only the flags change: what the static
   * picture holds is still checked record by record in `staticKey`.
   */
  markResting(scene: RenderScene, snap: SceneSnapshot): void {
    const owner = scene.data as object;
    const n = snap.nPrims,
      size = n * SNAP_PRIM,
      P = snap.prims;
    let state = this.resting.get(owner);
    if (!state || state.prev.length !== size) {
      state = { prev: P.slice(0, size), still: new Uint8Array(n), leaves: new Uint8Array(n) };
      this.resting.set(owner, state);
      return;
    }
    const prev = state.prev,
      still = state.still,
      leaves = state.leaves,
      flags = snap.isStatic;
    for (let p = 0, i = 0; p < n; p++) {
      // Each time a primitive leaves the picture it must rest twice as long to rejoin (up to 255
      // frames): a policy that stops and starts the arm on purpose cannot make us redraw often.
      const need = Math.min(255, this.restingFrames * 2 ** leaves[p]!);
      const wasResting = still[p]! >= need;
      let same = true;
      for (const end = i + SNAP_PRIM; i < end; i++) {
        const x = P[i]!;
        // the same test as the key's (!==): a NaN never counts as unchanged
        if (x !== prev[i]) {
          same = false;
          prev[i] = x;
        }
      }
      if (!same && wasResting && leaves[p]! < 8) leaves[p] = leaves[p]! + 1;
      still[p] = same ? Math.min(still[p]! + 1, 255) : 0;
      if (flags[p] === 0 && still[p]! >= need) {
        flags[p] = 1;
        snap.nStatic++;
      }
    }
  }

  /** Everything a static picture depends on, flattened (a view of a reused scratch array). */
  private staticKey(snap: SceneSnapshot, c: number): Float64Array {
    const size = 2 + SNAP_CAM + 9 + snap.nLights * SNAP_LIGHT + snap.nStatic * SNAP_PRIM;
    if (this.scratchKey.length < size) this.scratchKey = new Float64Array(2 * size);
    const k = this.scratchKey;
    let o = 0;
    k[o++] = snap.nStatic;
    k[o++] = snap.nLights;
    for (let i = 0; i < SNAP_CAM; i++) k[o++] = snap.cams[c * SNAP_CAM + i]!;
    for (let i = 0; i < 3; i++) {
      k[o++] = snap.ambient[i]!;
      k[o++] = snap.background[i]!;
      k[o++] = snap.headlightDiffuse[i]!;
    }
    for (let i = 0; i < snap.nLights * SNAP_LIGHT; i++) k[o++] = snap.lights[i]!;
    const P = snap.prims,
      flags = snap.isStatic;
    for (let p = 0; p < snap.nPrims; p++) {
      if (flags[p] !== 1) continue;
      for (let i = p * SNAP_PRIM, end = i + SNAP_PRIM; i < end; i++) k[o++] = P[i]!;
    }
    return k.subarray(0, o);
  }
}

interface RestingState {
  prev: Float64Array;
  /** Frames each primitive's record has been unchanged (capped at 255). */
  still: Uint8Array;
  /** How often each primitive has left the static picture (doubles the rest it needs to rejoin). */
  leaves: Uint8Array;
}

interface StaticView {
  key: Float64Array;
  base: StaticBase;
}

export function sameValues(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
