/**
 * The Kinitro miner protocol's wire types, with the validation the validator's executor expects your
 * server to apply (unknown keys are rejected, like the original's pydantic models) and small helpers
 * to read an observation.
 *
 * Observation (what `POST /act` receives as `{"obs": …}`), MetaWorld family:
 *   proprio.ee_pos      [x, y, z]   fingertip centre (TCP), metres, world frame (z up, table top z = 0)
 *   proprio.ee_quat     [x, y, z, w] hand orientation (fixed in these tasks)
 *   proprio.ee_vel_lin  [vx, vy, vz] m/s
 *   proprio.ee_vel_ang  [wx, wy, wz] rad/s
 *   proprio.gripper     [g]          0 = open … 1 = closed
 *   rgb.corner, rgb.corner2          H×W×3 uint8 images (EncodedImage: base64 of the raw bytes, row-major)
 *   cam_intrinsics.<camera>          3×3 pinhole matrix K
 *   cam_extrinsics.<camera>          4×4 world → camera transform
 * The object and goal positions are NOT in the observation: find them in the images.
 *
 * Action (what you answer as `{"action": …}`):
 *   continuous.ee_twist [vx, vy, vz, wx, wy, wz] each in [−1, 1]; x, y, z move the hand by value × 1 cm
 *                       per control step; the angular part is ignored (the hand orientation is fixed)
 *   continuous.gripper  [g] in [0, 1]: 0 = open … 1 = closed
 */

/** An image as raw bytes: standard base64 (with padding) of the array in C order. Never PNG/JPEG. */
export interface EncodedImage {
  data: string;
  shape: number[];
  dtype: string;
}

export interface Observation {
  rgb: Record<string, EncodedImage>;
  depth: Record<string, EncodedImage>;
  proprio: Record<string, number[]>;
  cam_intrinsics: Record<string, number[][]>;
  cam_extrinsics: Record<string, number[][]>;
  extra: Record<string, unknown>;
}

export interface Action {
  continuous: Record<string, number[]>;
  discrete: Record<string, number>;
  extra: Record<string, unknown>;
}

/** What `POST /reset` carries in `task_config` (all optional; extra keys are ignored). */
export interface TaskConfig {
  env_id?: string;
  env_name?: string;
  task_name?: string;
  /** The validator's id for this episode; every observation of it carries it as `extra.episode_id`. */
  episode_id?: string;
  seed?: number;
  task_id?: number;
  [key: string]: unknown;
}

/** One validation problem, in the shape FastAPI uses for 422 answers. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class ValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.name = 'ValidationError';
  }
}

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const OBSERVATION_KEYS = ['rgb', 'depth', 'proprio', 'cam_intrinsics', 'cam_extrinsics', 'extra'] as const;
const IMAGE_KEYS = ['data', 'shape', 'dtype'];

/** Validates `{"obs": …}`'s value strictly; missing top-level keys default to `{}`. */
export function parseObservation(value: Json, loc: (string | number)[] = ['body', 'obs']): Observation {
  const issues: ValidationIssue[] = [];
  const fail = (where: (string | number)[], msg: string, type: string) => issues.push({ loc: [...loc, ...where], msg, type });
  if (!isPlainObject(value)) {
    fail([], 'Input should be a valid dictionary', 'dict_type');
    throw new ValidationError(issues);
  }
  for (const key of Object.keys(value)) {
    if (!(OBSERVATION_KEYS as readonly string[]).includes(key)) fail([key], 'Extra inputs are not permitted', 'extra_forbidden');
  }
  const section = (key: string): Record<string, Json> => {
    const v = value[key];
    if (v === undefined) return {};
    if (!isPlainObject(v)) {
      fail([key], 'Input should be a valid dictionary', 'dict_type');
      return {};
    }
    return v;
  };
  const numberList = (v: Json, where: (string | number)[]): v is number[] => {
    if (!Array.isArray(v)) {
      fail(where, 'Input should be a valid list', 'list_type');
      return false;
    }
    let ok = true;
    v.forEach((n, i) => {
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        fail([...where, i], 'Input should be a finite number', 'finite_number');
        ok = false;
      }
    });
    return ok;
  };
  for (const key of ['rgb', 'depth'] as const) {
    for (const [name, image] of Object.entries(section(key))) {
      if (!isPlainObject(image)) {
        fail([key, name], 'Input should be a valid dictionary', 'dict_type');
        continue;
      }
      for (const k of Object.keys(image)) if (!IMAGE_KEYS.includes(k)) fail([key, name, k], 'Extra inputs are not permitted', 'extra_forbidden');
      if (typeof image.data !== 'string') fail([key, name, 'data'], 'Input should be a valid string', 'string_type');
      if (typeof image.dtype !== 'string') fail([key, name, 'dtype'], 'Input should be a valid string', 'string_type');
      if (numberList(image.shape, [key, name, 'shape']) && !image.shape.every((n) => Number.isInteger(n) && n >= 0)) {
        fail([key, name, 'shape'], 'Input should be a list of non-negative integers', 'int_type');
      }
    }
  }
  for (const [name, values] of Object.entries(section('proprio'))) numberList(values, ['proprio', name]);
  for (const key of ['cam_intrinsics', 'cam_extrinsics'] as const) {
    for (const [name, rows] of Object.entries(section(key))) {
      if (!Array.isArray(rows)) fail([key, name], 'Input should be a valid list', 'list_type');
      else rows.forEach((row, i) => numberList(row, [key, name, i]));
    }
  }
  section('extra');
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    rgb: (value.rgb ?? {}) as Observation['rgb'],
    depth: (value.depth ?? {}) as Observation['depth'],
    proprio: (value.proprio ?? {}) as Observation['proprio'],
    cam_intrinsics: (value.cam_intrinsics ?? {}) as Observation['cam_intrinsics'],
    cam_extrinsics: (value.cam_extrinsics ?? {}) as Observation['cam_extrinsics'],
    extra: (value.extra ?? {}) as Observation['extra'],
  };
}

/** Channel layout used when a policy answers with a flat array (the original's `from_array`). */
export const ACTION_SCHEMA: readonly [string, number][] = [
  ['ee_twist', 6],
  ['gripper', 1],
];

/**
 * Turns what a policy returned into a wire Action: an Action-like object (checked strictly) or a
 * flat number array sliced by ACTION_SCHEMA. Throws on anything else.
 */
export function toAction(value: Action | Partial<Action> | number[] | Float32Array | Float64Array): Action {
  if (Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array) {
    const flat = Array.from(value);
    const total = ACTION_SCHEMA.reduce((sum, [, n]) => sum + n, 0);
    if (flat.length !== total) throw new Error(`a flat action needs ${total} numbers (ee_twist 6, gripper 1), got ${flat.length}`);
    const continuous: Record<string, number[]> = {};
    let offset = 0;
    for (const [name, n] of ACTION_SCHEMA) {
      continuous[name] = flat.slice(offset, offset + n);
      offset += n;
    }
    return checkAction({ continuous, discrete: {}, extra: {} });
  }
  if (!isPlainObject(value)) throw new Error('the policy returned neither an Action nor a number array');
  for (const key of Object.keys(value)) if (!['continuous', 'discrete', 'extra'].includes(key)) throw new Error(`unknown action key "${key}"`);
  return checkAction({ continuous: value.continuous ?? {}, discrete: value.discrete ?? {}, extra: value.extra ?? {} });
}

function checkAction(action: Action): Action {
  for (const [name, values] of Object.entries(action.continuous)) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`continuous.${name} must be an array of finite numbers`);
    }
  }
  for (const [name, value] of Object.entries(action.discrete)) {
    if (!Number.isInteger(value)) throw new Error(`discrete.${name} must be an integer`);
  }
  return action;
}

/** Decodes an EncodedImage into its bytes (length H·W·C, row-major: index = (row·W + col)·C + channel). */
export function decodeImage(image: EncodedImage): Uint8Array {
  if (image.dtype !== 'uint8') throw new Error(`unsupported image dtype ${image.dtype}`);
  const bytes = Buffer.from(image.data, 'base64');
  const expected = image.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) throw new Error(`image has ${bytes.length} bytes, shape ${image.shape.join('×')} needs ${expected}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Proprioception channels concatenated in the given order, or alphabetically (the original's `proprio_array`). */
export function proprioArray(obs: Observation, keys?: string[]): Float32Array {
  const order = keys ?? Object.keys(obs.proprio).sort();
  return Float32Array.from(order.flatMap((k) => obs.proprio[k] ?? []));
}

/** The `{ee_twist, gripper}` action most MetaWorld policies return. */
export function makeAction(move: [number, number, number], gripper: number): Action {
  const clip = (v: number, lo: number, hi: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : 0);
  return {
    continuous: { ee_twist: [clip(move[0], -1, 1), clip(move[1], -1, 1), clip(move[2], -1, 1), 0, 0, 0], gripper: [clip(gripper, 0, 1)] },
    discrete: {},
    extra: {},
  };
}
