/**
 * One task set per cycle, shared by all miners (pure).
 *
 * Seeds come from HMAC-SHA256(operator secret, block hash ‖ env ‖ episode index): every miner faces
 * the same instances (the original drew a random seed per task, §13.9), nobody can precompute them
 * before the block exists, and — because the secret never leaves the appliance — a miner cannot
 * regenerate the scenes from our open code even though it knows the block hash.
 */
import { createHmac } from 'node:crypto';
import type { NewTask } from '../store/index.ts';

export interface TaskSetMiner {
  uid: number;
  hotkey: string;
  endpoint: string;
  repo: string | null;
  revision: string | null;
}

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
          episodeIndex: episode,
        });
      }
    }
  }
  return tasks;
}
