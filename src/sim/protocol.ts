/**
 * Wire types of the miner protocol (docs/original.md §5–6), shared by the simulator (which builds observations),
 * the executor (which sends them and validates miners' actions) and the miner kit. These shapes are
 * the original's, so existing miners work unchanged.
 */
import { z } from 'zod';

/** Raw array bytes, standard base64 with padding, C order (docs/original.md §5.1). Never PNG/JPEG. */
export interface EncodedImage {
  data: string;
  shape: number[];
  dtype: string;
}

/** The observation object; the wire object always carries all six keys (empty ones as `{}`). */
export interface Observation {
  rgb: Record<string, EncodedImage>;
  depth: Record<string, EncodedImage>;
  proprio: Record<string, number[]>;
  cam_intrinsics: Record<string, number[][]>;
  cam_extrinsics: Record<string, number[][]>;
  extra: Record<string, unknown>;
}

/** MetaWorld-family proprioception channels (docs/original.md §5.4), 14 values in all. */
export interface MetaworldProprio {
  ee_pos: [number, number, number];
  ee_quat: [number, number, number, number]; // x, y, z, w
  ee_vel_lin: [number, number, number];
  ee_vel_ang: [number, number, number];
  gripper: [number]; // 0 open … 1 closed
}

export interface Action {
  continuous: Record<string, number[]>;
  discrete: Record<string, number>;
  extra: Record<string, unknown>;
}

/** What `/reset` carries: identification only, never the seed or the scene (docs/original.md §13.9 fixed). */
export interface ResetTaskConfig {
  env_id: string;
  env_name: string;
  task_name: string;
}

export function emptyObservation(): Observation {
  return { rgb: {}, depth: {}, proprio: {}, cam_intrinsics: {}, cam_extrinsics: {}, extra: {} };
}

export function encodeImage(pixels: Uint8Array, height: number, width: number, channels = 3): EncodedImage {
  return { data: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64'), shape: [height, width, channels], dtype: 'uint8' };
}

export function decodeImage(image: EncodedImage): Uint8Array {
  if (image.dtype !== 'uint8') throw new Error(`unsupported image dtype ${image.dtype}`);
  const bytes = Buffer.from(image.data, 'base64');
  const expected = image.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) throw new Error(`image has ${bytes.length} bytes, shape ${image.shape.join('×')} needs ${expected}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

const numberArray = z.array(z.number());

/** Strict Action schema: unknown keys rejected, like the original's pydantic model. */
export const actionSchema = z
  .object({
    continuous: z.record(z.string(), numberArray).default({}),
    discrete: z.record(z.string(), z.number().int()).default({}),
    extra: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const encodedImageSchema = z.object({ data: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.string() }).strict();

/** Strict Observation schema (what a miner server validates). */
export const observationSchema = z
  .object({
    rgb: z.record(z.string(), encodedImageSchema).default({}),
    depth: z.record(z.string(), encodedImageSchema).default({}),
    proprio: z.record(z.string(), numberArray).default({}),
    cam_intrinsics: z.record(z.string(), z.array(numberArray)).default({}),
    cam_extrinsics: z.record(z.string(), z.array(numberArray)).default({}),
    extra: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
