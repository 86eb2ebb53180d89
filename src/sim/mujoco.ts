/**
 * Loads the MuJoCo WASM module once per thread (each worker_thread gets its own module instance
 * because ES modules are per-thread) and offers the few helpers every caller needs: compiling an
 * MJCF string with a readable error, and measuring the wasm heap.
 */
import loadMujocoFactory, { type MainModule, type MjData, type MjModel } from '@mujoco/mujoco';

export type Mujoco = MainModule;
export type { MjData, MjModel };

let loading: Promise<Mujoco> | undefined;
const printed: string[] = [];

/** Lines MuJoCo printed (warnings) since the module was loaded; the newest 100 are kept. */
export function mujocoMessages(): readonly string[] {
  return printed;
}

function remember(line: string): void {
  printed.push(line);
  if (printed.length > 100) printed.shift();
}

/** The per-thread MuJoCo module; concurrent callers share one load. A failed load can be retried. */
export function loadMujoco(): Promise<Mujoco> {
  loading ??= loadMujocoFactory({ print: remember, printErr: remember }).catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

export class SceneCompileError extends Error {
  override name = 'SceneCompileError';
}

/** Compiles MJCF text; the caller owns (and must `.delete()`) the returned model. */
export function compileModel(mj: Mujoco, xml: string, label = 'scene'): MjModel {
  try {
    return mj.MjModel.from_xml_string(xml);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new SceneCompileError(`MuJoCo rejected ${label}: ${message}`);
  }
}

/**
 * Size of the wasm heap in bytes. Any live typed-array view exposes the heap's ArrayBuffer; views
 * taken before a heap growth are detached (byteLength 0), so a fresh one is taken here.
 */
export function wasmHeapBytes(model: MjModel): number {
  return (model.qpos0 as Float64Array).buffer.byteLength;
}

/** Id of a named element, or a clear error naming what the scene lacks. */
export function requireId(
  mj: Mujoco,
  model: MjModel,
  kind: 'body' | 'joint' | 'geom' | 'site' | 'camera' | 'light' | 'actuator' | 'equality',
  name: string,
): number {
  const objType = {
    body: mj.mjtObj.mjOBJ_BODY,
    joint: mj.mjtObj.mjOBJ_JOINT,
    geom: mj.mjtObj.mjOBJ_GEOM,
    site: mj.mjtObj.mjOBJ_SITE,
    camera: mj.mjtObj.mjOBJ_CAMERA,
    light: mj.mjtObj.mjOBJ_LIGHT,
    actuator: mj.mjtObj.mjOBJ_ACTUATOR,
    equality: mj.mjtObj.mjOBJ_EQUALITY,
  }[kind].value as number;
  const id = mj.mj_name2id(model, objType, name);
  if (id < 0) throw new SceneCompileError(`scene has no ${kind} named ${JSON.stringify(name)}`);
  return id;
}
