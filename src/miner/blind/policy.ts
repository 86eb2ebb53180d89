/**
 * `blind`: the standing adversary suite as a Policy (`kinitro eval --policy blind`, `blind:<name>`,
 * `kinitro serve-policy --policy blind`). It strips everything but proprioception from each
 * observation before the strategy sees it, so a strategy cannot read an image even by mistake.
 * `blind` runs each environment's strongest strategy (the first registered for it); `blind:<name>` one
 * strategy. Randomness (which candidate to try) comes from the episode seed.
 */
import { SecureRng } from '../../sim/drbg.ts';
import type { Policy, PolicyResetInfo } from '../../sim/policies.ts';
import type { Action, Observation } from '../../sim/protocol.ts';
import { isEnvId } from '../../sim/registry.ts';
import { createHash } from 'node:crypto';
import { CommandTracker, type BlindCommand, type BlindScript, type BlindStrategy } from './common.ts';
import { BLIND_STRATEGIES, strategiesFor } from './index.ts';

const IDLE: BlindCommand = { move: [0, 0, 0], gripper: 0 };

export class BlindPolicy implements Policy {
  readonly name: string;
  readonly needsPrivileged = false;
  private strategy: BlindStrategy | undefined;
  private script: BlindScript | undefined;
  private tracker = new CommandTracker();
  private seed = 0;
  private done = false;

  /** `strategyName` undefined: the strongest strategy of each episode's environment. */
  constructor(private readonly strategyName?: string) {
    if (strategyName !== undefined && !BLIND_STRATEGIES.some((s) => s.name === strategyName)) {
      throw new Error(`unknown blind strategy ${JSON.stringify(strategyName)}; known: ${BLIND_STRATEGIES.map((s) => s.name).join(', ')}`);
    }
    this.name = strategyName === undefined ? 'blind' : `blind:${strategyName}`;
  }

  reset(info: PolicyResetInfo): void {
    const envId = info.task.env_id;
    const options = isEnvId(envId) ? strategiesFor(envId) : [];
    this.strategy = this.strategyName === undefined ? options[0] : options.find((s) => s.name === this.strategyName);
    this.script = undefined;
    this.tracker = new CommandTracker();
    this.seed = info.episodeSeed;
    this.done = false;
  }

  act(observation: Observation): Action {
    // Proprioception only: the strategy never sees images, calibration or anything else.
    const blind: Observation = { rgb: {}, depth: {}, proprio: observation.proprio, cam_intrinsics: {}, cam_extrinsics: {}, extra: {} };
    const obs = this.tracker.observe(blind);
    let command = IDLE;
    if (this.strategy && !this.done) {
      if (!this.script) {
        const rng = new SecureRng(createHash('sha256').update(`blind|${this.strategy.name}|${this.seed}`).digest());
        this.script = this.strategy.script(obs, rng);
        const first = this.script.next(obs);
        if (first.done) this.done = true;
        else command = first.value;
      } else {
        const next = this.script.next(obs);
        if (next.done) this.done = true;
        else command = next.value;
      }
    }
    this.tracker.sent(command);
    return {
      continuous: {
        ee_twist: [command.move[0], command.move[1], command.move[2], 0, 0, 0].map((v) => Math.min(1, Math.max(-1, v))),
        gripper: [Math.min(1, Math.max(0, command.gripper))],
      },
      discrete: {},
      extra: {},
    };
  }
}
