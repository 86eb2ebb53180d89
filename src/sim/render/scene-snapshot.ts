/**
 * Reads what the camera sees out of a live MuJoCo model + data into plain, reusable typed arrays.
 *
 * Everything is read every frame, on purpose: domain randomization rewrites the MODEL at reset
 * (colours, light diffuse/direction, camera fovy), so nothing but name → id lookups may be cached.
 * The reads are a few dozen typed-array views per frame (≈ 0.2 µs each), negligible next to the cast.
 */
import type { MjData, MjModel } from '@mujoco/mujoco';

/** MuJoCo geom type codes (mjtGeom); the renderer keeps MuJoCo's numbering. */
export const GEOM = { plane: 0, hfield: 1, sphere: 2, capsule: 3, ellipsoid: 4, cylinder: 5, box: 6, mesh: 7 } as const;

/** Light kinds as the renderer stores them (MuJoCo's mjtLightType: 0 spot, 1 directional, 2 point, 3 image). */
export const LIGHT_KIND = { directional: 0, point: 1, spot: 2 } as const;

/** The subset of MjModel the renderer reads (the real MjModel satisfies it). */
export type RenderModel = Pick<
  MjModel,
  | 'ngeom'
  | 'nsite'
  | 'nlight'
  | 'ntex'
  | 'ncam'
  | 'geom_type'
  | 'geom_size'
  | 'geom_rgba'
  | 'geom_group'
  | 'geom_matid'
  | 'geom_aabb'
  | 'site_type'
  | 'site_size'
  | 'site_rgba'
  | 'site_group'
  | 'site_matid'
  | 'mat_rgba'
  | 'mat_emission'
  | 'light_type'
  | 'light_diffuse'
  | 'light_ambient'
  | 'light_attenuation'
  | 'light_cutoff'
  | 'light_exponent'
  | 'tex_type'
  | 'tex_adr'
  | 'tex_width'
  | 'tex_height'
  | 'tex_nchannel'
  | 'tex_data'
  | 'cam_fovy'
  | 'vis'
  | 'cam'
> &
  /** Which bodies are welded to the world (optional: without them no primitive counts as static). */
  Partial<Pick<MjModel, 'geom_bodyid' | 'site_bodyid' | 'body_weldid' | 'body_mocapid'>>;
/** The subset of MjData the renderer reads (valid after mj_forward / mj_step). */
export type RenderData = Pick<MjData, 'geom_xpos' | 'geom_xmat' | 'site_xpos' | 'site_xmat' | 'light_xpos' | 'light_xdir' | 'cam_xpos' | 'cam_xmat'>;

export interface RenderScene {
  model: RenderModel;
  data: RenderData;
}

/** Floats per primitive in `SceneSnapshot.prims`. */
export const SNAP_PRIM = 21;
// layout: 0 type | 1-3 size | 4-6 world pos | 7-15 rotation (row-major, local→world) | 16-18 rgb | 19 emission | 20 source id
/** Floats per light in `SceneSnapshot.lights`. */
export const SNAP_LIGHT = 16;
// layout: 0 kind | 1-3 pos | 4-6 dir (where the light points) | 7-9 diffuse | 10-12 attenuation | 13 cos(cutoff) | 14 exponent
/** Floats per camera in `SceneSnapshot.cams`. */
export const SNAP_CAM = 13;
// layout: 0-2 pos | 3-11 xmat (row-major; columns = camera right, up, back) | 12 fovy (degrees)

/** Most lights the renderer shades with (OpenGL's classic limit, which MuJoCo's renderer also has). */
export const MAX_LIGHTS = 8;

const SKYBOX_TEXTURE = 2; // mjtTexture.mjTEXTURE_SKYBOX

export interface SnapshotOptions {
  /** Render sites too, like MuJoCo's default visual options do for groups 0–2 (default true). */
  sites?: boolean;
}

/**
 * One frame of one scene. Reused across frames: `read()` overwrites it, growing the arrays only when
 * a scene has more primitives than ever before.
 */
export class SceneSnapshot {
  nPrims = 0;
  prims = new Float64Array(64 * SNAP_PRIM);
  /**
   * Per primitive: 1 when it belongs to a body welded to the world (not mocap), i.e. it cannot move
   * during an episode on its own. A hint only: the renderer still compares every such primitive
   * frame to frame before reusing anything drawn from it (camera-renderer.ts).
   */
  isStatic = new Uint8Array(64);
  /** Primitives flagged static. */
  nStatic = 0;
  nLights = 0;
  readonly lights = new Float64Array(MAX_LIGHTS * SNAP_LIGHT);
  readonly ambient = new Float64Array(3);
  readonly headlightDiffuse = new Float64Array(3);
  readonly background = new Float64Array(3);
  /** One record per requested camera, in the order of the names given to `read`. */
  cams = new Float64Array(2 * SNAP_CAM);

  read(scene: RenderScene, cameraNames: readonly string[], options: SnapshotOptions = {}): this {
    const { model: m, data: d } = scene;
    this.nPrims = 0;
    this.nStatic = 0;
    this.readGeoms(m, d);
    if (options.sites !== false) this.readSites(m, d);
    this.readLights(m, d);
    this.readBackground(m);
    this.readCameras(m, d, cameraNames);
    return this;
  }

  private reserve(n: number): void {
    if (n * SNAP_PRIM <= this.prims.length) return;
    const count = Math.max(n, (2 * this.prims.length) / SNAP_PRIM);
    const grown = new Float64Array(count * SNAP_PRIM);
    grown.set(this.prims);
    this.prims = grown;
    const flags = new Uint8Array(count);
    flags.set(this.isStatic);
    this.isStatic = flags;
  }

  /** Flags primitive `i` static when `body` is welded to the world and is not a mocap body. */
  private flag(i: number, m: RenderModel, body: number): void {
    const weld = m.body_weldid,
      mocap = m.body_mocapid;
    const still = weld !== undefined && mocap !== undefined && body >= 0 && weld[body] === 0 && mocap[body]! < 0;
    this.isStatic[i] = still ? 1 : 0;
    if (still) this.nStatic++;
  }

  private readGeoms(m: RenderModel, d: RenderData): void {
    const ngeom = m.ngeom;
    const type: Int32Array = m.geom_type,
      size: Float64Array = m.geom_size,
      rgba: Float32Array = m.geom_rgba;
    const group: Int32Array = m.geom_group,
      matid: Int32Array = m.geom_matid,
      aabb: Float64Array = m.geom_aabb;
    const matRgba: Float32Array = m.mat_rgba,
      matEmission: Float32Array = m.mat_emission;
    const xpos: Float64Array = d.geom_xpos,
      xmat: Float64Array = d.geom_xmat;
    this.reserve(this.nPrims + ngeom);
    for (let g = 0; g < ngeom; g++) {
      let t = type[g];
      if (t === GEOM.hfield || t > GEOM.mesh) continue; // hfield, sdf: not drawn (none in our scenes)
      if (group[g] >= 3 || group[g] < 0) continue; // MuJoCo shows groups 0–2 by default
      const mat = matid[g];
      const useGeomRgba = mat < 0 || !isDefaultRgba(rgba, 4 * g);
      const src = useGeomRgba ? rgba : matRgba,
        si = useGeomRgba ? 4 * g : 4 * mat;
      if (src[si + 3] <= 0) continue; // fully transparent
      const o = this.nPrims++ * SNAP_PRIM,
        p = this.prims;
      if (t === GEOM.mesh) {
        // Meshes render as their local bounding box (aabb = centre offset, half sizes, in the geom frame).
        t = GEOM.box;
        const cx = aabb[6 * g],
          cy = aabb[6 * g + 1],
          cz = aabb[6 * g + 2];
        p[o + 1] = aabb[6 * g + 3];
        p[o + 2] = aabb[6 * g + 4];
        p[o + 3] = aabb[6 * g + 5];
        for (let i = 0; i < 3; i++) {
          p[o + 4 + i] = xpos[3 * g + i] + xmat[9 * g + 3 * i] * cx + xmat[9 * g + 3 * i + 1] * cy + xmat[9 * g + 3 * i + 2] * cz;
        }
      } else {
        p[o + 1] = size[3 * g];
        p[o + 2] = size[3 * g + 1];
        p[o + 3] = size[3 * g + 2];
        p[o + 4] = xpos[3 * g];
        p[o + 5] = xpos[3 * g + 1];
        p[o + 6] = xpos[3 * g + 2];
      }
      p[o] = t;
      for (let i = 0; i < 9; i++) p[o + 7 + i] = xmat[9 * g + i];
      p[o + 16] = src[si];
      p[o + 17] = src[si + 1];
      p[o + 18] = src[si + 2];
      p[o + 19] = mat >= 0 ? matEmission[mat] : 0;
      p[o + 20] = g;
      this.flag(this.nPrims - 1, m, m.geom_bodyid?.[g] ?? -1);
    }
  }

  private readSites(m: RenderModel, d: RenderData): void {
    const nsite = m.nsite;
    if (nsite === 0) return;
    const type: Int32Array = m.site_type,
      size: Float64Array = m.site_size,
      rgba: Float32Array = m.site_rgba;
    const group: Int32Array = m.site_group,
      matid: Int32Array = m.site_matid;
    const matRgba: Float32Array = m.mat_rgba,
      matEmission: Float32Array = m.mat_emission;
    const xpos: Float64Array = d.site_xpos,
      xmat: Float64Array = d.site_xmat;
    this.reserve(this.nPrims + nsite);
    for (let s = 0; s < nsite; s++) {
      const t = type[s];
      if (t < GEOM.sphere || t > GEOM.box) continue;
      if (group[s] >= 3 || group[s] < 0) continue;
      const mat = matid[s];
      const useOwn = mat < 0 || !isDefaultRgba(rgba, 4 * s);
      const src = useOwn ? rgba : matRgba,
        si = useOwn ? 4 * s : 4 * mat;
      if (src[si + 3] <= 0) continue;
      const o = this.nPrims++ * SNAP_PRIM,
        p = this.prims;
      p[o] = t;
      p[o + 1] = size[3 * s];
      p[o + 2] = size[3 * s + 1];
      p[o + 3] = size[3 * s + 2];
      p[o + 4] = xpos[3 * s];
      p[o + 5] = xpos[3 * s + 1];
      p[o + 6] = xpos[3 * s + 2];
      for (let i = 0; i < 9; i++) p[o + 7 + i] = xmat[9 * s + i];
      p[o + 16] = src[si];
      p[o + 17] = src[si + 1];
      p[o + 18] = src[si + 2];
      p[o + 19] = mat >= 0 ? matEmission[mat] : 0;
      p[o + 20] = -1 - s;
      this.flag(this.nPrims - 1, m, m.site_bodyid?.[s] ?? -1);
    }
  }

  private readLights(m: RenderModel, d: RenderData): void {
    // ≈ 3 µs (two embind wrappers); read per frame because randomization may change the headlight
    const head = m.vis.headlight;
    const headActive = head.active !== 0;
    const headAmbient: Float32Array = head.ambient,
      headDiffuse: Float32Array = head.diffuse;
    for (let i = 0; i < 3; i++) {
      this.ambient[i] = headActive ? headAmbient[i] : 0;
      this.headlightDiffuse[i] = headActive ? headDiffuse[i] : 0;
    }
    // light_active is not readable through these bindings (its mjtByte getter throws), so every
    // light counts as on; a simulator that wants a light off zeroes its diffuse and ambient.
    const n = Math.min(m.nlight, MAX_LIGHTS);
    const type: Int32Array = m.light_type,
      diffuse: Float32Array = m.light_diffuse,
      ambient: Float32Array = m.light_ambient;
    const att: Float32Array = m.light_attenuation,
      cutoff: Float32Array = m.light_cutoff,
      exponent: Float32Array = m.light_exponent;
    const pos: Float64Array = d.light_xpos,
      dir: Float64Array = d.light_xdir;
    this.nLights = 0;
    for (let l = 0; l < n; l++) {
      for (let i = 0; i < 3; i++) this.ambient[i] += ambient[3 * l + i];
      const mjType = type[l];
      if (mjType === 3) continue; // image-based lights only matter to the PBR renderer
      const o = this.nLights++ * SNAP_LIGHT,
        L = this.lights;
      L[o] = mjType === 1 ? LIGHT_KIND.directional : mjType === 2 ? LIGHT_KIND.point : LIGHT_KIND.spot;
      for (let i = 0; i < 3; i++) {
        L[o + 1 + i] = pos[3 * l + i];
        L[o + 4 + i] = dir[3 * l + i];
        L[o + 7 + i] = diffuse[3 * l + i];
        L[o + 10 + i] = att[3 * l + i];
      }
      const dn = Math.hypot(L[o + 4], L[o + 5], L[o + 6]) || 1;
      L[o + 4] /= dn;
      L[o + 5] /= dn;
      L[o + 6] /= dn;
      L[o + 13] = Math.cos((Math.min(Math.max(cutoff[l], 0), 90) * Math.PI) / 180);
      L[o + 14] = exponent[l];
    }
  }

  /** The skybox's mean colour (MuJoCo draws the skybox unlit); black when the model has none. */
  private readBackground(m: RenderModel): void {
    this.background.fill(0);
    for (let t = 0; t < m.ntex; t++) {
      if (m.tex_type[t] !== SKYBOX_TEXTURE) continue;
      const channels = m.tex_nchannel[t],
        n = m.tex_width[t] * m.tex_height[t];
      if (channels < 3 || n === 0) break;
      const data: Uint8Array = m.tex_data,
        adr = m.tex_adr[t];
      // ~256 evenly spaced texels are plenty for the mean of a flat or gradient skybox.
      const stride = Math.max(1, Math.floor(n / 256));
      let r = 0,
        g = 0,
        b = 0,
        count = 0;
      for (let i = 0; i < n; i += stride, count++) {
        const k = adr + i * channels;
        r += data[k];
        g += data[k + 1];
        b += data[k + 2];
      }
      this.background[0] = r / count / 255;
      this.background[1] = g / count / 255;
      this.background[2] = b / count / 255;
      break;
    }
  }

  private readCameras(m: RenderModel, d: RenderData, names: readonly string[]): void {
    if (this.cams.length < names.length * SNAP_CAM) this.cams = new Float64Array(names.length * SNAP_CAM);
    const pos: Float64Array = d.cam_xpos,
      mat: Float64Array = d.cam_xmat,
      fovy: Float64Array = m.cam_fovy;
    for (let c = 0; c < names.length; c++) {
      const id = cameraId(m, names[c]!);
      const o = c * SNAP_CAM;
      for (let i = 0; i < 3; i++) this.cams[o + i] = pos[3 * id + i];
      for (let i = 0; i < 9; i++) this.cams[o + 3 + i] = mat[9 * id + i];
      this.cams[o + 12] = fovy[id];
    }
  }
}

/** MuJoCo's rule: a material's colour wins unless the element's own rgba differs from the default (0.5, 0.5, 0.5, 1). */
function isDefaultRgba(rgba: Float32Array, i: number): boolean {
  return rgba[i] === 0.5 && rgba[i + 1] === 0.5 && rgba[i + 2] === 0.5 && rgba[i + 3] === 1;
}

const cameraIds = new WeakMap<object, Map<string, number>>();

/** Camera id by name, cached per model (names never change after compile; randomization can't touch them). */
export function cameraId(m: RenderModel, name: string): number {
  let ids = cameraIds.get(m);
  if (!ids) cameraIds.set(m, (ids = new Map()));
  let id = ids.get(name);
  if (id === undefined) {
    try {
      id = m.cam(name).id;
    } catch {
      throw new Error(`camera "${name}" is not in the model`);
    }
    ids.set(name, id);
  }
  return id;
}
