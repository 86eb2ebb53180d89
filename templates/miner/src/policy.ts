/**
 * Your policy. The server creates ONE instance at start-up and calls:
 *   - `reset(taskConfig)` on `POST /reset` at the start of every episode; `taskConfig.env_id` names the
 *     task (e.g. "metaworld/push-v3"). Return an episode id (any string) or null. Budget: 5 s.
 *   - `act(observation)` on every `POST /act`, once per control step (up to 500 per episode).
 *     Return an Action, or a flat array [vx, vy, vz, wx, wy, wz, gripper]. Budget: 0.5 s per call,
 *     including the network; aim for well under 50 ms.
 *
 * The protocol has no episode id on `/act`, and a validator may run several of your episodes at once,
 * so prefer deciding from the observation itself (it carries two camera images, their calibration and
 * the hand's proprioception) over remembering per-episode state.
 *
 * This stub moves at random, like the original template. Replace it with your model.
 */
import { randomBytes } from 'node:crypto';
import { makeAction, type Action, type Observation, type TaskConfig } from './types.ts';

export class RobotPolicy {
  /** Reported by GET /health. Set it once your weights are loaded. */
  modelLoaded = true;
  private task: TaskConfig = {};

  /** Load weights, warm up caches, … Called once before the server starts listening. */
  async load(): Promise<void> {
    this.modelLoaded = true;
  }

  async reset(taskConfig: TaskConfig): Promise<string | null> {
    this.task = taskConfig;
    return randomBytes(8).toString('hex');
  }

  async act(observation: Observation): Promise<Action | number[]> {
    // Everything you get, for orientation:
    //   observation.proprio.ee_pos       fingertip position (m)
    //   observation.proprio.gripper      [0 open … 1 closed]
    //   observation.rgb.corner / corner2 camera images (decodeImage() in types.ts)
    //   observation.cam_intrinsics / cam_extrinsics  calibration (see camera.ts)
    //   this.task.env_id                 which task this server was last reset for
    void observation;
    const r = () => Math.random() * 2 - 1;
    return makeAction([r(), r(), r()], Math.random());
  }
}
