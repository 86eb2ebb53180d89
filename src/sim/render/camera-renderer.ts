/**
 * The camera capability: given live MuJoCo scenes (model + data after mj_forward / mj_step), renders
 * each requested camera and returns the observation pieces the original's wire format carries
 * (`rgb` as EncodedImage, plus `cam_intrinsics` / `cam_extrinsics`).
 *
 * Backends:
 *  - 'ts'  : the pruned TypeScript caster (raycast-ts.ts): the fastest path without a GPU;
 *  - 'gpu' : the gpu.js kernel (gpu-kernel.ts), batched over every view in one call;
 *  - 'auto': 'gpu' when gpu.js finds a real GPU backend, otherwise 'ts' (gpu.js falls back to
 *            WebAssembly there, which measured 2-3× slower than 'ts' on this workload).
 *
 * Construction is cheap; a gpu.js kernel compiles on first use per batch size (~100-150 ms) and is
 * reused. All per-frame buffers are reused: only the wire objects (base64 strings, matrices) are new.
 * The TypeScript path's cache of static pictures is static-pictures.ts.
 */
import { GPU } from 'gpu.js';
import { silentLogger, type Logger } from '../../log.ts';
import { encodeImage, type EncodedImage } from '../protocol.ts';
import { cameraExtrinsics, cameraIntrinsics } from './camera-model.ts';
import { GpuRaycaster, isAsyncGpuMode, type GpuMode } from './gpu-kernel.ts';
import { renderViewTs } from './raycast-ts.ts';
import { SNAP_CAM, SceneSnapshot, type RenderScene } from './scene-snapshot.ts';
import { sameValues, StaticPictures } from './static-pictures.ts';
import { ViewBatch, prepareView } from './view-batch.ts';

export type RenderBackend = 'auto' | 'ts' | 'gpu';

/** The cameras the MetaWorld family sends (docs/original.md §5.4), in wire order. */
export const DEFAULT_CAMERAS: readonly string[] = ['corner', 'corner2'];
export const DEFAULT_IMAGE_SIZE = 84;

export interface CameraRendererOptions {
  /** Image width in pixels (default 84). */
  width?: number;
  /** Image height in pixels (default 84). */
  height?: number;
  /** Camera names, in output order (default corner, corner2). */
  cameras?: readonly string[];
  backend?: RenderBackend;
  /**
   * Forces a gpu.js mode for the 'gpu' backend (e.g. 'webasm' or 'cpu' in tests and benchmarks).
   * 'async' and 'webgpu' return Promises: use `renderBatch` / `renderAsync` with them.
   */
  gpuMode?: GpuMode;
  /** Tile edge in pixels for the gpu.js candidate lists (default 4; must be even). */
  tileSize?: number;
  /** Candidate slots per tile before a tile falls back to testing every primitive (default 32). */
  maxPerTile?: number;
  /** Draw sites of groups 0–2 like MuJoCo's default visual options (default true). */
  sites?: boolean;
  /**
   * TypeScript caster only: keep, per scene and camera, the picture of the primitives that cannot
   * move (bodies welded to the world) and draw only the moving ones on top each frame (default
   * true). The kept picture is reused only while the camera, the lights and every static primitive
   * are exactly as when it was drawn, so the output is the same either way.
   */
  staticCache?: boolean;
  /**
   * With `staticCache`: a moving body's primitive whose record (pose, size, colour) has not changed
   * for this many consecutive frames joins the static picture too, until it changes again (default
   * 4; 0 keeps only the welded bodies). The cued scenes' resting candidate objects, an idle gripper,
   * a closed drawer are then drawn once instead of every frame. Joining or leaving redraws the
   * picture once, and the picture is still reused only while every primitive in it is exactly as
   * drawn, so the output is the same. A primitive that leaves must rest twice as long each time to
   * rejoin (at most 255 frames), so start-stop motion cannot force frequent redraws.
   */
  restingFrames?: number;
  logger?: Logger;
}

/** The observation pieces for one scene (merge into the wire Observation). */
export interface CameraObservation {
  rgb: Record<string, EncodedImage>;
  cam_intrinsics: Record<string, number[][]>;
  cam_extrinsics: Record<string, number[][]>;
}

/** A CameraObservation with its wire text (`observeWire`). */
export interface WireCameraObservation extends CameraObservation {
  /**
   * The same three members as wire JSON text, exactly what JSON.stringify writes for them: the
   * images go in as they are (base64 needs no escaping) and the calibration's text is reused while a
   * camera stays put, instead of a JSON pass over ~57 KB and ~60 numbers per step.
   */
  json: { rgb: string; intrinsics: string; extrinsics: string };
}

/** Raw output of one render call, valid until the next call on the same renderer. */
export interface RenderedImages {
  width: number;
  height: number;
  cameras: readonly string[];
  sceneCount: number;
  /** uint8 RGB, H×W×3 per image, images back to back in (scene, camera) order. */
  pixels: Uint8Array;
  /** A view of one image's H×W×3 bytes. */
  image(scene: number, camera: number | string): Uint8Array;
}

let detectedGpuMode: string | undefined;

/** The backend gpu.js picks on this machine ('webasm' or 'cpu' mean it found no GPU). */
export function detectGpuMode(): string {
  if (detectedGpuMode === undefined) {
    const gpu = new GPU();
    detectedGpuMode = gpu.mode;
    void gpu.destroy();
  }
  return detectedGpuMode;
}

export function hasRealGpu(): boolean {
  const mode = detectGpuMode();
  return mode !== 'webasm' && mode !== 'cpu';
}

export class CameraRenderer {
  readonly width: number;
  readonly height: number;
  readonly cameras: readonly string[];
  /** The backend actually used ('ts' or 'gpu'). */
  readonly backend: 'ts' | 'gpu';
  private readonly sites: boolean;
  private readonly batch: ViewBatch;
  private readonly snapshots: SceneSnapshot[] = [];
  private gpu: GpuRaycaster | undefined;
  private pixels = new Uint8Array(0);
  private destroyed = false;
  private readonly asynchronous: boolean;
  /** Serializes asynchronous renders: they share the pixel buffer. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Static pictures per scene and camera; see `staticCache`. */
  private readonly statics: StaticPictures | null;
  /** Scenes of the current call (the TS path reads them while casting). */
  private current: readonly RenderScene[] = [];
  /** Calibration JSON per scene (keyed by its MjData); see `calibrationJson`. */
  private readonly calibrations = new WeakMap<object, { key: Float64Array; intrinsics: string | null; extrinsics: string | null }>();
  private readonly cameraNamesJson: string[];
  /** Static pictures reused / redrawn (diagnostics, tests). */
  readonly staticStats = { reused: 0, redrawn: 0 };
  private readonly restingFrames: number;

  constructor(options: CameraRendererOptions = {}) {
    this.width = checkSize('width', options.width ?? DEFAULT_IMAGE_SIZE);
    this.height = checkSize('height', options.height ?? DEFAULT_IMAGE_SIZE);
    this.cameras = [...(options.cameras ?? DEFAULT_CAMERAS)];
    if (this.cameras.length === 0) throw new Error('CameraRenderer needs at least one camera');
    this.sites = options.sites ?? true;
    this.cameraNamesJson = this.cameras.map((name) => JSON.stringify(name));
    const tileSize = options.tileSize ?? 4;
    if (!Number.isInteger(tileSize) || tileSize < 2 || tileSize % 2 !== 0) throw new Error(`tileSize must be an even integer ≥ 2, got ${tileSize}`);
    this.batch = new ViewBatch({ width: this.width, height: this.height, tileSize, maxPerTile: options.maxPerTile ?? 32 });
    const requested = options.backend ?? 'auto';
    this.backend = requested === 'auto' ? (options.gpuMode || hasRealGpu() ? 'gpu' : 'ts') : requested;
    if (this.backend === 'gpu') this.gpu = new GpuRaycaster(options.gpuMode);
    this.asynchronous = this.backend === 'gpu' && isAsyncGpuMode(options.gpuMode);
    const restingFrames = options.restingFrames ?? 4;
    if (!Number.isInteger(restingFrames) || restingFrames < 0 || restingFrames > 255)
      throw new Error(`restingFrames must be an integer in 0..255, got ${restingFrames}`);
    this.restingFrames = restingFrames;
    this.statics = this.backend === 'ts' && (options.staticCache ?? true) ? new StaticPictures(this.width, this.height, restingFrames, this.staticStats) : null;
    (options.logger ?? silentLogger).debug(
      { backend: this.backend, gpuMode: this.gpu?.mode, width: this.width, height: this.height, cameras: this.cameras },
      'camera renderer ready',
    );
  }

  /** gpu.js's backend for the 'gpu' path (e.g. 'webasm', 'headlessgl'); undefined for 'ts'. */
  get gpuMode(): string | undefined {
    return this.gpu?.mode;
  }

  /** Renders every camera of every scene; returns raw pixels (reused buffer). Synchronous modes only. */
  render(scenes: readonly RenderScene[]): RenderedImages {
    if (this.asynchronous) throw new Error('this gpu.js mode is asynchronous: use renderBatch() or renderAsync()');
    const views = this.prepare(scenes);
    void this.cast(views);
    return this.images(scenes.length);
  }

  /**
   * `render` for every mode. Concurrent calls run one after another; the result is valid until the
   * next render call starts.
   */
  renderAsync(scenes: readonly RenderScene[]): Promise<RenderedImages> {
    return this.serialized(async () => {
      const views = this.prepare(scenes);
      await this.cast(views);
      return this.images(scenes.length);
    });
  }

  /** Renders and builds the wire pieces for each scene (synchronous modes). */
  observe(scenes: readonly RenderScene[]): CameraObservation[] {
    const images = this.render(scenes);
    return scenes.map((_, s) => {
      const { json: _json, ...plain } = this.describe(images, s);
      return plain;
    });
  }

  /** `observe` plus each scene's wire JSON text (the executor sends it as is). */
  observeWire(scenes: readonly RenderScene[]): WireCameraObservation[] {
    const images = this.render(scenes);
    return scenes.map((_, s) => this.describe(images, s));
  }

  /** The batched API for every mode: one call renders every camera of every scene. */
  renderBatch(scenes: readonly RenderScene[]): Promise<CameraObservation[]> {
    return this.serialized(async () => {
      const views = this.prepare(scenes);
      await this.cast(views);
      const images = this.images(scenes.length);
      return scenes.map((_, s) => {
        const { json: _json, ...plain } = this.describe(images, s);
        return plain;
      });
    });
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Reads every scene and prepares every view; returns the number of views. */
  private prepare(scenes: readonly RenderScene[]): number {
    if (this.destroyed) throw new Error('CameraRenderer used after destroy()');
    const nCam = this.cameras.length,
      views = scenes.length * nCam;
    while (this.snapshots.length < scenes.length) this.snapshots.push(new SceneSnapshot());
    let maxPrims = 0;
    for (let s = 0; s < scenes.length; s++) {
      const snap = this.snapshots[s]!.read(scenes[s]!, this.cameras, { sites: this.sites });
      if (this.statics && this.restingFrames > 0) this.statics.markResting(scenes[s]!, snap);
      maxPrims = Math.max(maxPrims, snap.nPrims);
    }
    this.batch.ensure(views, maxPrims);
    this.current = scenes;
    // The TS caster prepares each view as it draws it (it may draw a static picture first).
    if (this.gpu) {
      for (let s = 0; s < scenes.length; s++) {
        for (let c = 0; c < nCam; c++) prepareView(this.snapshots[s]!, c, this.batch, s * nCam + c, true);
      }
    }
    const imageBytes = this.width * this.height * 3;
    if (this.pixels.length < views * imageBytes) this.pixels = new Uint8Array(views * imageBytes);
    return views;
  }

  private cast(views: number): void | Promise<void> {
    if (this.gpu) return this.gpu.render(this.batch, views, this.pixels);
    const imageBytes = this.width * this.height * 3,
      nCam = this.cameras.length;
    for (let v = 0; v < views; v++) {
      const s = Math.floor(v / nCam),
        c = v % nCam;
      const snap = this.snapshots[s]!;
      const base = this.statics?.view(this.current[s]!, snap, c, this.batch, v) ?? null;
      if (base) {
        prepareView(snap, c, this.batch, v, false, 'dynamic');
        renderViewTs(this.batch, v, this.pixels, v * imageBytes, undefined, base);
      } else {
        prepareView(snap, c, this.batch, v, false);
        renderViewTs(this.batch, v, this.pixels, v * imageBytes);
      }
    }
  }

  private images(sceneCount: number): RenderedImages {
    const nCam = this.cameras.length,
      imageBytes = this.width * this.height * 3;
    const pixels = this.pixels,
      cameras = this.cameras;
    return {
      width: this.width,
      height: this.height,
      cameras,
      sceneCount,
      pixels: pixels.subarray(0, sceneCount * nCam * imageBytes),
      image(scene: number, camera: number | string): Uint8Array {
        const c = typeof camera === 'number' ? camera : cameras.indexOf(camera);
        if (c < 0 || c >= nCam || scene < 0 || scene >= sceneCount) throw new Error(`no image for scene ${scene}, camera ${camera}`);
        const start = (scene * nCam + c) * imageBytes;
        return pixels.subarray(start, start + imageBytes);
      },
    };
  }

  /** The wire pieces of scene `s` from a finished render (the snapshot still holds its cameras). */
  private describe(images: RenderedImages, s: number): WireCameraObservation {
    const snap = this.snapshots[s]!;
    const rgb: Record<string, EncodedImage> = {};
    const cam_intrinsics: Record<string, number[][]> = {};
    const cam_extrinsics: Record<string, number[][]> = {};
    let rgbJson = '{';
    const calibration = this.calibrationJson(this.current[s], snap);
    this.cameras.forEach((name, c) => {
      const o = c * SNAP_CAM;
      const image = encodeImage(images.image(s, c), this.height, this.width, 3);
      rgb[name] = image;
      cam_intrinsics[name] = cameraIntrinsics(snap.cams[o + 12]!, this.width, this.height);
      cam_extrinsics[name] = cameraExtrinsics(snap.cams.subarray(o, o + 3), snap.cams.subarray(o + 3, o + 12));
      rgbJson += `${c > 0 ? ',' : ''}${calibration.names[c]}:{"data":"${image.data}","shape":${calibration.shape},"dtype":"uint8"}`;
    });
    return {
      rgb,
      cam_intrinsics,
      cam_extrinsics,
      json: { rgb: rgbJson + '}', intrinsics: calibration.intrinsics(cam_intrinsics), extrinsics: calibration.extrinsics(cam_extrinsics) },
    };
  }

  /**
   * JSON text of the calibration, reused per scene while its cameras' records (pose, fovy) are those
   * it was written for: the cameras do not move, so this is once per episode.
   */
  private calibrationJson(scene: RenderScene | undefined, snap: SceneSnapshot) {
    const nCam = this.cameras.length;
    const key = snap.cams.subarray(0, nCam * SNAP_CAM);
    const owner = (scene?.data as object | undefined) ?? null;
    let entry = owner ? this.calibrations.get(owner) : undefined;
    if (!entry || !sameValues(entry.key, key)) {
      entry = { key: key.slice(), intrinsics: null, extrinsics: null };
      if (owner) this.calibrations.set(owner, entry);
    }
    const e = entry;
    return {
      names: this.cameraNamesJson,
      shape: `[${this.height},${this.width},3]`,
      intrinsics: (m: Record<string, number[][]>) => (e.intrinsics ??= JSON.stringify(m)),
      extrinsics: (m: Record<string, number[][]>) => (e.extrinsics ??= JSON.stringify(m)),
    };
  }

  destroy(): void {
    this.destroyed = true;
    this.gpu?.destroy();
    this.gpu = undefined;
  }
}

function checkSize(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 4096) throw new Error(`${name} must be an integer in 1..4096, got ${value}`);
  return value;
}
