/**
 * Wraps a policy and adds seeded Gaussian noise to its move command (and occasionally flips the
 * gripper): a deliberately weaker miner for demos, like MetaWorld's noisy scripted-policy tests.
 */
import type { PrivilegedState } from '../../sim/env.ts';
import type { Policy, PolicyResetInfo } from '../../sim/policies.ts';
import type { Action, Observation } from '../../sim/protocol.ts';
import { Rng } from '../../sim/rng.ts';

export interface NoiseOptions {
  name: string;
  /** Standard deviation added to each of the three move values (the wire range is [−1, 1]). */
  std: number;
  /** Probability per step of replacing the gripper command by its opposite (default 0.02). */
  gripperFlip?: number;
}

const clip = (v: number) => (v < -1 ? -1 : v > 1 ? 1 : v);

/** Noise streams remembered at once (one per concurrent episode; least recently used go first). */
const MAX_STREAMS = 256;

export class NoisyPolicy implements Policy {
  readonly name: string;
  readonly needsPrivileged: boolean;
  readonly concurrentEpisodes: boolean;
  /** One noise stream per episode id ('' for episodes without one), so concurrent episodes stay reproducible. */
  private readonly streams = new Map<string, Rng>();

  constructor(
    private readonly inner: Policy,
    private readonly options: NoiseOptions,
  ) {
    this.name = options.name;
    this.needsPrivileged = inner.needsPrivileged;
    this.concurrentEpisodes = inner.concurrentEpisodes === true;
  }

  async reset(info: PolicyResetInfo): Promise<void> {
    const key = info.episodeId ?? '';
    this.streams.delete(key);
    this.streams.set(key, new Rng(info.episodeSeed, 0x6e6f6973));
    while (this.streams.size > MAX_STREAMS) this.streams.delete(this.streams.keys().next().value!);
    await this.inner.reset(info);
  }

  private streamFor(observation: Observation): Rng {
    const id = observation.extra?.episode_id;
    const rng = (typeof id === 'string' ? this.streams.get(id) : undefined) ?? this.streams.get('');
    if (rng) return rng;
    const fresh = new Rng(0, 0x6e6f6973);
    this.streams.set('', fresh);
    return fresh;
  }

  async act(observation: Observation, privileged?: PrivilegedState): Promise<Action> {
    const action = await this.inner.act(observation, privileged);
    const rng = this.streamFor(observation);
    const twist = [...(action.continuous.ee_twist ?? [0, 0, 0, 0, 0, 0])];
    for (let i = 0; i < 3; i++) twist[i] = clip((twist[i] ?? 0) + rng.normal() * this.options.std);
    let gripper = action.continuous.gripper?.[0] ?? 0;
    if (rng.next() < (this.options.gripperFlip ?? 0.02)) gripper = 1 - gripper;
    return { ...action, continuous: { ...action.continuous, ee_twist: twist, gripper: [gripper] } };
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
