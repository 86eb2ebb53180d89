/**
 * `vision`: a scripted generalist that sees the world only as a miner does — the two corner camera
 * images with their intrinsics/extrinsics, proprioception, and the env id from `/reset`. Each step it
 * segments the images by colour, locates the task's objects and runs the task's skill. Two scene
 * families: the cued scenes (the default everywhere: it reads the cue light on the wrist, finds the
 * candidate wearing that colour — cued/) and the MetaWorld-faithful scenes (perception.ts, skills.ts).
 * The family shows in the first frame (the cued scenes' table is a warm grey, MetaWorld's is brown).
 *
 * Episodes: the protocol has no episode id on `/act`, and a validator may interleave several
 * episodes on one server. So the policy keys its small per-episode memory (fixtures found at the
 * start, which the gripper hides later) on the episode's scene fingerprint (frame.ts), and pairs
 * each new fingerprint with a pending `/reset` whose env id matches what the first frame shows
 * (scene-id.ts). With one episode at a time this is simply "the task of the last reset".
 */
import type { Policy, PolicyResetInfo } from '../../sim/policies.ts';
import type { Action, Observation } from '../../sim/protocol.ts';
import { ENV_IDS, isEnvId, type EnvId } from '../../sim/registry.ts';
import { buildFrame, decodeViews, frameFrom, looksLikeEpisodeStart, type Frame } from './frame.ts';
import { buildCuedFrame, looksCued } from './cued/frame.ts';
import { CUED_SKILLS } from './cued/skills.ts';
import { classifyImage, ColourClass } from './segment.ts';
import { identifyScene } from './scene-id.ts';
import { SKILLS, type Command, type EpisodeMemory } from './skills.ts';
import { warmupObservation } from './warmup.ts';

export interface VisionPolicyOptions {
  /** Episodes remembered at once (least recently seen are dropped; default 256). */
  maxEpisodes?: number;
  /** How long a `/reset` waits to be paired with its first observation (default 30 s). */
  resetWindowMs?: number;
  /** Clock (tests). */
  now?: () => number;
  /** Run the pipeline on a synthetic scene at the first reset so later calls run hot (default true). */
  warmUp?: boolean;
}

interface Episode {
  envId: EnvId;
  memory: EpisodeMemory;
  lastSeen: number;
  cued: boolean;
}

interface PendingReset {
  envId: EnvId | undefined;
  at: number;
}

const clip = (v: number, lo: number, hi: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : 0);

export function commandToAction(command: Command): Action {
  return {
    continuous: {
      ee_twist: [clip(command.move[0], -1, 1), clip(command.move[1], -1, 1), clip(command.move[2], -1, 1), 0, 0, 0],
      gripper: [clip((command.effort + 1) / 2, 0, 1)],
    },
    discrete: {},
    extra: {},
  };
}

export class VisionPolicy implements Policy {
  readonly name = 'vision';
  readonly needsPrivileged = false;
  private readonly maxEpisodes: number;
  private readonly resetWindowMs: number;
  private readonly now: () => number;
  private pending: PendingReset[] = [];
  private lastReset: EnvId | undefined;
  /** Episodes by scene fingerprint, least recently seen first. */
  private readonly episodes = new Map<string, Episode>();
  private warm: boolean;

  constructor(options: VisionPolicyOptions = {}) {
    this.maxEpisodes = options.maxEpisodes ?? 256;
    this.resetWindowMs = options.resetWindowMs ?? 30_000;
    this.now = options.now ?? (() => performance.now());
    this.warm = options.warmUp === false;
  }

  /**
   * Runs every skill on a synthetic scene a few times, so V8 has compiled the perception code before
   * the first real `/act` (which must answer within 0.5 s). Returns the milliseconds it took.
   */
  warmUp(rounds = 4): number {
    const started = performance.now();
    const observation = warmupObservation();
    for (let r = 0; r < rounds; r++) {
      const frame = buildFrame(observation);
      identifyScene(frame);
      for (const envId of ENV_IDS) SKILLS[envId](frame, {});
      const cuedFrame = buildCuedFrame(warmupObservation(true));
      looksCued(cuedFrame);
      for (const envId of ENV_IDS) {
        // A few steps with one memory each, so the phases after "cue read, candidates found" run too.
        const memory = {};
        for (let k = 0; k < 3; k++) CUED_SKILLS[envId](cuedFrame, memory);
      }
    }
    this.warm = true;
    return performance.now() - started;
  }

  /** False until the first reset has warmed the perception code up (or `warmUp: false` skipped it). */
  get warmedUp(): boolean {
    return this.warm;
  }

  reset(info: PolicyResetInfo): void {
    if (!this.warm) this.warmUp();
    const envId = isEnvId(info.task.env_id) ? info.task.env_id : undefined;
    if (envId) this.lastReset = envId;
    this.pending.push({ envId, at: this.now() });
    if (this.pending.length > 64) this.pending.shift();
  }

  act(observation: Observation): Action {
    const frame = this.perceive(observation);
    const episode = this.episodeFor(frame);
    const skill = episode.cued ? CUED_SKILLS[episode.envId] : SKILLS[episode.envId];
    return commandToAction(skill(frame, episode.memory));
  }

  /** The environment the policy currently attributes to this observation (for tests and logs). */
  taskOf(observation: Observation): EnvId {
    return this.episodeFor(this.perceive(observation)).envId;
  }

  /** The frame in the scheme of the scene's family (cued first: it is the default everywhere). */
  private perceive(observation: Observation): Frame & { cued: boolean } {
    const decoded = decodeViews(observation);
    const cuedFrame = buildCuedFrame(observation, decoded);
    if (decoded.length === 0 || looksCued(cuedFrame)) return { ...cuedFrame, cued: true };
    return { ...frameFrom(observation, decoded, (rgb, n) => classifyImage({ width: n, height: 1, rgb }), ColourClass.Table), cued: false };
  }

  private episodeFor(frame: Frame & { cued: boolean }): Episode {
    const now = this.now();
    this.pending = this.pending.filter((r) => now - r.at <= this.resetWindowMs);
    // Without images there is no fingerprint: such observations share one anonymous episode that
    // follows the last reset.
    const key = frame.views.length > 0 ? frame.fingerprint : '';
    let episode = this.episodes.get(key);
    if (episode && key === '') {
      episode.envId = this.lastReset ?? episode.envId;
    } else if (episode) {
      // The same task run again (its first frame, after a reset for the same environment): start afresh.
      const rerun = looksLikeEpisodeStart(frame) ? this.pending.findIndex((r) => r.at > episode!.lastSeen && r.envId === episode!.envId) : -1;
      if (rerun >= 0) {
        this.pending.splice(rerun, 1);
        episode.memory = {};
      }
    } else {
      const memory: EpisodeMemory = {};
      episode = { envId: this.chooseTask(frame, memory), memory, lastSeen: now, cued: frame.cued };
      this.remember(key, episode);
    }
    episode.lastSeen = now;
    // Re-insert: the map's order is least recently seen first.
    this.episodes.delete(key);
    this.episodes.set(key, episode);
    return episode;
  }

  /**
   * The task of a new episode: the pending reset when there is exactly one (the usual, one episode at a
   * time); otherwise a pending reset of the environment the frame shows; with no reset to go on, what
   * the frame shows.
   */
  private chooseTask(frame: Frame & { cued: boolean }, memory: EpisodeMemory): EnvId {
    if (this.pending.length === 1 && this.pending[0]!.envId) return this.pending.shift()!.envId!;
    // The cued scenes are not recognised from a frame: the oldest pending reset names the task.
    const candidates = frame.cued ? [] : identifyScene(frame, memory);
    // The best-ranked candidate with a pending reset wins (drawer-open and drawer-close share a scene:
    // both are candidates, ranked by the drawer's state), then the oldest reset of that environment.
    let chosen: PendingReset | undefined;
    for (const envId of candidates) {
      chosen = this.pending.find((r) => r.envId === envId);
      if (chosen) break;
    }
    chosen ??= this.pending[0];
    if (chosen) {
      this.pending.splice(this.pending.indexOf(chosen), 1);
      if (chosen.envId) return chosen.envId;
    }
    return candidates[0] ?? this.lastReset ?? ENV_IDS[0];
  }

  private remember(key: string, episode: Episode): void {
    this.episodes.set(key, episode);
    while (this.episodes.size > this.maxEpisodes) this.episodes.delete(this.episodes.keys().next().value!);
  }
}
