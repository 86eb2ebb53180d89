/**
 * The default simulation backend of executor workers: the MuJoCo manipulation environments
 * (src/sim/env.ts) and the batched ray-cast camera renderer (src/sim/render). A thin adapter: the
 * executor owns episode flow and rendering cadence, so the environment is built without its own
 * image hook, and images are drawn by the worker's micro-batcher through `CameraRenderer`.
 */
import { ManipulationEnv } from '../sim/env.ts';
import { loadMujoco } from '../sim/mujoco.ts';
import { parseInstance } from '../sim/instance.ts';
import { isEnvId } from '../sim/registry.ts';
import { CameraRenderer, type RenderScene } from '../sim/render/index.ts';
import { generateTask } from '../sim/tasks.ts';
import type { CameraViews, EpisodeEnvironment, SimulationBackend } from './environment.ts';
import type { MinerAction } from './miner-client.ts';

/** Longest episode the environments allow; the runner applies the configured limit. */
const ENV_STEP_LIMIT = 100_000;

class MujocoEpisodeEnvironment implements EpisodeEnvironment {
  readonly maxSteps = ENV_STEP_LIMIT;
  private lastProprio: Record<string, number[]> = {};
  private readonly scene: RenderScene;

  constructor(
    private readonly env: ManipulationEnv,
    readonly sceneKey: string,
  ) {
    this.scene = { model: env.model, data: env.data };
  }

  get envId(): string {
    return this.env.envId;
  }

  reset(instance: string): void {
    this.lastProprio = this.env.reset(generateTask(this.env.envId, instance)).proprio;
  }

  step(action: MinerAction): { reward: number; success: boolean; done: boolean; violation: string | null } {
    const wire = { continuous: { ee_twist: action.eeTwist, gripper: [action.gripper] } };
    const result = this.env.step(wire);
    this.lastProprio = result.observation.proprio;
    return { reward: result.reward, success: result.success, done: result.done, violation: result.violation };
  }

  proprio(): Record<string, number[]> {
    return this.lastProprio;
  }

  renderScene(): unknown {
    return this.scene;
  }

  dispose(): void {
    this.env.close();
  }
}

export async function createBackend(options: { useImages: boolean }): Promise<SimulationBackend> {
  const mujoco = await loadMujoco();
  const renderer = options.useImages ? new CameraRenderer() : null;
  const sceneKey = (envId: string, instance: string) => `${parseInstance(instance).randomization}/${envId}`;
  return {
    sceneKey,
    createEnvironment(envId: string, instance: string): EpisodeEnvironment {
      if (!isEnvId(envId)) throw new Error(`unknown environment ${envId}`);
      const { randomization } = parseInstance(instance);
      // endOnSuccess off: the runner decides when an episode ends (success stays sticky either way).
      const env = new ManipulationEnv(mujoco, envId, { randomization, maxSteps: ENV_STEP_LIMIT, endOnSuccess: false, images: false });
      return new MujocoEpisodeEnvironment(env, sceneKey(envId, instance));
    },
    renderer: {
      render(scenes: readonly unknown[]): CameraViews[] {
        if (!renderer) throw new Error('images are disabled');
        // The views carry their wire JSON (CameraObservation.json), which the episode writes out as is.
        return renderer.observeWire(scenes as RenderScene[]);
      },
      dispose: () => renderer?.destroy(),
    },
  };
}
