/**
 * The small interfaces the episode runner needs from the simulator and the camera renderer. The
 * executor is written against these, not against the simulator's classes, so its machinery (worker
 * pool, concurrency, fault handling) is independent of how a scene is simulated or drawn; the MuJoCo
 * implementation is a thin adapter (sim-backend.ts).
 */
import type { EncodedImage } from '../sim/protocol.ts';
import type { MinerAction } from './miner-client.ts';

export interface StepOutcome {
  reward: number;
  /** The environment's success so far (the runner makes success sticky too). */
  success: boolean;
  /** The environment's own end (success, violation or truncation); the runner also stops at `maxSteps`. */
  done: boolean;
  /** The policy acted on a wrong candidate: the episode is over and failed (not an error). */
  violation?: string | null;
}

/**
 * One simulator instance that runs one episode at a time. Instances are reused across episodes of
 * the same environment (building a MuJoCo model costs tens of milliseconds).
 */
export interface EpisodeEnvironment {
  readonly envId: string;
  /** Instances whose scene key is this one can run here (same env, same randomization family). */
  readonly sceneKey: string;
  /** The environment's own step limit. */
  readonly maxSteps: number;
  /** Generates the task of `instance` and resets the scene to it (deterministic per instance key). */
  reset(instance: string): void;
  step(action: MinerAction): StepOutcome;
  /** The proprioception channels of the current state (MetaWorld: five channels, 14 values). */
  proprio(): Record<string, number[]>;
  /** What the renderer needs to draw the current state (for MuJoCo: `{ model, data }`). */
  renderScene(): unknown;
  /** Frees native memory; the instance is unusable afterwards. */
  dispose(): void;
}

/** The camera part of an observation. */
export interface CameraViews {
  rgb: Record<string, EncodedImage>;
  cam_intrinsics: Record<string, number[][]>;
  cam_extrinsics: Record<string, number[][]>;
  /** The same three members already serialized (a renderer may provide them; saves a JSON pass). */
  json?: { rgb: string; intrinsics: string; extrinsics: string };
}

/** Draws many scenes in one call (one kernel launch for all of them when the backend batches). */
export interface ObservationRenderer {
  render(scenes: readonly unknown[]): CameraViews[] | Promise<CameraViews[]>;
  dispose?(): void;
}

/** Everything a worker needs from the simulation side; one per worker thread. */
export interface SimulationBackend {
  /** Which cached environments can run `instance` of `envId` (throws for a malformed instance key). */
  sceneKey(envId: string, instance: string): string;
  createEnvironment(envId: string, instance: string): EpisodeEnvironment | Promise<EpisodeEnvironment>;
  renderer: ObservationRenderer;
  dispose?(): void;
}

/** What a backend module exports; the worker imports it by URL (see worker.ts). */
export interface SimulationBackendModule {
  createBackend(options: { useImages: boolean }): Promise<SimulationBackend>;
}
