/**
 * A tiny simulation backend for testing the executor's machinery (worker pool, concurrency, fault
 * handling) without MuJoCo: a point "hand" moves by the commanded twist (1 cm per unit per step) and
 * succeeds within 2 cm of a goal derived from the instance key. Images are 84×84 gradients that encode the
 * hand position, so tests can check that every step gets its own render. The worker loads it by URL
 * (`backendUrl: KINEMATIC_BACKEND_URL`).
 */
import type { CameraViews, EpisodeEnvironment, SimulationBackend } from '../../src/executor/environment.ts';
import type { MinerAction } from '../../src/executor/miner-client.ts';
import { encodeImage } from '../../src/sim/protocol.ts';

export const KINEMATIC_BACKEND_URL = new URL(import.meta.url).href;

/** Goal for an instance: a point 5–9 cm along +x from the start (reachable in ~10 steps at twist 0.5+). */
export function kinematicGoal(instance: string): [number, number, number] {
  return [0.05 + (parseInt(instance.slice(-2), 16) % 5) * 0.01, 0.6, 0.2];
}

class KinematicEnvironment implements EpisodeEnvironment {
  readonly maxSteps = 500;
  private hand: [number, number, number] = [0, 0.6, 0.2];
  private goal: [number, number, number] = [0, 0.6, 0.2];
  private gripper = 0;
  private disposed = false;

  constructor(readonly envId: string) {}

  get sceneKey(): string {
    return this.envId;
  }

  reset(instance: string): void {
    if (this.disposed) throw new Error('disposed');
    this.hand = [0, 0.6, 0.2];
    this.goal = kinematicGoal(instance);
    this.gripper = 0;
  }

  step(action: MinerAction): { reward: number; success: boolean; done: boolean } {
    for (let k = 0; k < 3; k++) this.hand[k] += Math.max(-1, Math.min(1, action.eeTwist[k]!)) * 0.01;
    this.gripper = Math.max(0, Math.min(1, action.gripper));
    const d = Math.hypot(this.hand[0] - this.goal[0], this.hand[1] - this.goal[1], this.hand[2] - this.goal[2]);
    return { reward: 1 - d, success: d < 0.02, done: false };
  }

  proprio(): Record<string, number[]> {
    return { ee_pos: [...this.hand], ee_quat: [0, 0, 0, 1], ee_vel_lin: [0, 0, 0], ee_vel_ang: [0, 0, 0], gripper: [this.gripper] };
  }

  renderScene(): unknown {
    return { hand: [...this.hand] };
  }

  dispose(): void {
    this.disposed = true;
  }
}

const CAMERAS = ['corner', 'corner2'] as const;
const SIZE = 84;

function render(scenes: readonly unknown[]): CameraViews[] {
  return scenes.map((scene) => {
    const hand = (scene as { hand: number[] }).hand;
    const views: CameraViews = { rgb: {}, cam_intrinsics: {}, cam_extrinsics: {} };
    CAMERAS.forEach((camera, c) => {
      const pixels = new Uint8Array(SIZE * SIZE * 3);
      // The first pixel encodes the hand's x in centimetres, so tests can see images change per step.
      pixels.fill(40 + c * 10);
      pixels[0] = Math.round(hand[0]! * 100) & 0xff;
      views.rgb[camera] = encodeImage(pixels, SIZE, SIZE);
      views.cam_intrinsics[camera] = [
        [100, 0, 42],
        [0, 100, 42],
        [0, 0, 1],
      ];
      views.cam_extrinsics[camera] = [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
      ];
    });
    return views;
  });
}

export async function createBackend(): Promise<SimulationBackend> {
  return {
    sceneKey: (envId) => envId,
    createEnvironment: (envId) => new KinematicEnvironment(envId),
    renderer: { render },
  };
}
