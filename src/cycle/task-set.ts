/**
 * One task set per cycle, shared by all miners (pure).
 *
 * Each task's scene comes from its instance key (src/sim/instance.ts): a layout of 256 bits from
 * HMAC-SHA256(operator secret, block hash ‖ env ‖ episode index), shared by every miner so all face
 * the same scenes (the original drew a random seed per task), and a per-miner variant (which candidate
 * is the target, the colours) that adds the miner's hotkey. Nobody can precompute the instances before
 * the block exists, and because the secret never leaves the appliance and the generator's input is
 * the full HMAC output, no enumeration over anything a miner observes recovers them.
 *
 * The original's integer `seed` is kept on the wire as an opaque label: a 31-bit HMAC of its own,
 * unrelated to the instance key (knowing it tells nothing about the scene).
 */
import { createHmac } from 'node:crypto';
import { cycleInstance, type Randomization } from '../sim/instance.ts';
import type { NewTask } from '../store/index.ts';

export interface TaskSetMiner {
  uid: number;
  hotkey: string;
  endpoint: string;
  repo: string | null;
  revision: string | null;
}

/** The wire label of (env, episode) in a cycle; seeds nothing. */
export function taskSeed(secret: string, blockHash: string, envId: string, episodeIndex: number): number {
  const digest = createHmac('sha256', secret).update(`${blockHash.toLowerCase()}|${envId}|${episodeIndex}`).digest();
  return digest.readUInt32BE(0) & 0x7fffffff;
}

/**
 * Tasks miner × env × episode. Ordered episode-major, then env, then miner, so the pool (handed out
 * oldest first) spreads concurrent work over all miners instead of queueing one miner's 400 tasks.
 */
export function buildTaskSet(input: {
  miners: readonly TaskSetMiner[];
  envIds: readonly string[];
  episodesPerEnv: number;
  blockHash: string;
  secret: string;
  randomization: Randomization;
}): NewTask[] {
  const tasks: NewTask[] = [];
  for (let episode = 0; episode < input.episodesPerEnv; episode++) {
    for (const envId of input.envIds) {
      const seed = taskSeed(input.secret, input.blockHash, envId, episode);
      for (const m of input.miners) {
        tasks.push({
          minerUid: m.uid,
          minerHotkey: m.hotkey,
          minerEndpoint: m.endpoint,
          minerRepo: m.repo,
          minerRevision: m.revision,
          envId,
          seed,
          instance: cycleInstance({
            secret: input.secret,
            blockHash: input.blockHash,
            envId,
            episodeIndex: episode,
            minerHotkey: m.hotkey,
            randomization: input.randomization,
          }),
          episodeIndex: episode,
        });
      }
    }
  }
  return tasks;
}
