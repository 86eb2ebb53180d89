/**
 * Policies that drive an environment, behind one small interface so the evaluation loop does not
 * care whether actions come from an in-process oracle, a seeded random policy or (later) a miner's
 * HTTP endpoint. In-process policies may ask for the privileged state; remote ones never get it.
 */
import { fromNativeAction } from './action.ts';
import type { PrivilegedState } from './env.ts';
import { oracleCommand } from './oracle.ts';
import type { Action, Observation, ResetTaskConfig } from './protocol.ts';
import { isEnvId, type EnvId } from './registry.ts';
import { Rng } from './rng.ts';

export interface PolicyResetInfo {
  /** What a miner's /reset gets: identification only. */
  task: ResetTaskConfig;
  /** Seed for the policy's own randomness in this episode (derived from the run seed). */
  episodeSeed: number;
  /**
   * The executor's episode id (`task_config.episode_id`), when it sends one; every observation of
   * the episode then carries it as `extra.episode_id`.
   */
  episodeId?: string;
}

export interface Policy {
  readonly name: string;
  /** True if `act` needs the privileged state (in-process only). */
  readonly needsPrivileged: boolean;
  /**
   * True if one instance keeps concurrent episodes apart by their episode ids (reset info and
   * `observation.extra.episode_id`); otherwise a server runs one instance per concurrent episode.
   */
  readonly concurrentEpisodes?: boolean;
  reset(info: PolicyResetInfo): void | Promise<void>;
  act(observation: Observation, privileged?: PrivilegedState): Action | Promise<Action>;
  close?(): void | Promise<void>;
}

/** MetaWorld-style scripted policy per task, reading ground truth. */
export class OraclePolicy implements Policy {
  readonly name = 'oracle';
  readonly needsPrivileged = true;
  private envId: EnvId | undefined;
  private memory: Record<string, unknown> = {};

  reset(info: PolicyResetInfo): void {
    if (!isEnvId(info.task.env_id)) throw new Error(`oracle: unknown environment ${info.task.env_id}`);
    this.envId = info.task.env_id;
    this.memory = {};
  }

  act(_observation: Observation, privileged?: PrivilegedState): Action {
    if (!this.envId) throw new Error('oracle: act() before reset()');
    if (!privileged) throw new Error('oracle: needs the privileged state');
    const command = oracleCommand(this.envId, privileged, this.memory);
    return fromNativeAction(command.move, command.effort);
  }
}

/** Uniform random actions (all six twist values in [−1, 1], gripper in [0, 1]), seeded per episode. */
export class RandomPolicy implements Policy {
  readonly name = 'random';
  readonly needsPrivileged = false;
  private rng = new Rng(0);

  reset(info: PolicyResetInfo): void {
    this.rng = new Rng(info.episodeSeed);
  }

  act(): Action {
    const twist = Array.from({ length: 6 }, () => this.rng.uniform(-1, 1));
    return { continuous: { ee_twist: twist, gripper: [this.rng.next()] }, discrete: {}, extra: {} };
  }
}

export const IN_PROCESS_POLICIES = ['oracle', 'random'] as const;
export type InProcessPolicyName = (typeof IN_PROCESS_POLICIES)[number];

export function createInProcessPolicy(name: InProcessPolicyName): Policy {
  switch (name) {
    case 'oracle':
      return new OraclePolicy();
    case 'random':
      return new RandomPolicy();
  }
}
