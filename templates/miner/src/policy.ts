/**
 * Your policy. The server creates ONE instance at start-up and calls:
 *   - `reset(taskConfig)` on `POST /reset` at the start of every episode; `taskConfig.env_id` names the
 *     task (e.g. "metaworld/push-v3"). Return an episode id (any string) or null. Budget: 5 s.
 *   - `act(observation)` on every `POST /act`, once per control step (up to 500 per episode).
 *     Return an Action, or a flat array [vx, vy, vz, wx, wy, wz, gripper]. Budget: 0.5 s per call,
 *     measured from when the validator's request leaves to when your answer is back; aim for well
 *     under 50 ms.
 *
 * Several episodes at once: the server declares `maxConcurrentEpisodes` in `GET /health`, and a
 * validator then runs up to that many of your episodes at the same time (it runs ONE at a time for a
 * server that declares nothing). It names each episode: `taskConfig.episode_id` at reset, and
 * `observation.extra.episode_id` in every observation of that episode. Keep whatever you remember
 * per episode under that id, as below. Declare only what your machine answers in time: the
 * validator's deadline applies to every call, however many run at once.
 *
 * This stub moves at random, like the original template. Replace it with your model.
 */
import { randomBytes } from 'node:crypto';
import { makeAction, type Action, type Observation, type TaskConfig } from './types.ts';

/** What the policy remembers during one episode. Add your own (a goal found in the first frame, …). */
interface EpisodeState {
  task: TaskConfig;
  steps: number;
}

export class RobotPolicy {
  /** Reported by GET /health. Set it once your weights are loaded. */
  modelLoaded = true;
  /** Declared in GET /health as `max_concurrent_episodes` ($MAX_CONCURRENT_EPISODES, default 8). */
  readonly maxConcurrentEpisodes = Math.max(1, Number.parseInt(process.env.MAX_CONCURRENT_EPISODES ?? '8', 10) || 1);
  /** Episodes by id, least recently used first. */
  private readonly episodes = new Map<string, EpisodeState>();
  /** The last reset's id: observations without an id (an older validator) belong to it. */
  private latest = '';

  /** Load weights, warm up caches, … Called once before the server starts listening. */
  async load(): Promise<void> {
    this.modelLoaded = true;
  }

  async reset(taskConfig: TaskConfig): Promise<string | null> {
    const id = typeof taskConfig.episode_id === 'string' ? taskConfig.episode_id : randomBytes(8).toString('hex');
    this.episodes.delete(id);
    this.episodes.set(id, { task: taskConfig, steps: 0 });
    // Finished episodes are never announced: forget the oldest beyond a few times the capacity.
    while (this.episodes.size > 4 * this.maxConcurrentEpisodes) this.episodes.delete(this.episodes.keys().next().value!);
    this.latest = id;
    return id;
  }

  async act(observation: Observation): Promise<Action | number[]> {
    const episode = this.episodeOf(observation);
    episode.steps += 1;
    // Everything you get, for orientation:
    //   observation.proprio.ee_pos       fingertip position (m)
    //   observation.proprio.gripper      [0 open … 1 closed]
    //   observation.rgb.corner / corner2 camera images (decodeImage() in types.ts)
    //   observation.cam_intrinsics / cam_extrinsics  calibration (see camera.ts)
    //   episode.task.env_id              which task this episode is
    const r = () => Math.random() * 2 - 1;
    return makeAction([r(), r(), r()], Math.random());
  }

  private episodeOf(observation: Observation): EpisodeState {
    const id = typeof observation.extra.episode_id === 'string' ? observation.extra.episode_id : this.latest;
    let episode = this.episodes.get(id);
    if (!episode) {
      // An observation from an episode we never saw reset (e.g. after a restart): start it afresh.
      episode = { task: {}, steps: 0 };
      this.episodes.set(id, episode);
    }
    return episode;
  }
}
