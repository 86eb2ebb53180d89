/**
 * `npm run bench -- inversion [seeds] [env]`: the seed-inversion attack against a validator-style
 * instance. Scans `seeds` (default 2^18) integer seeds of the public development path for episode
 * indices 0–1, reports matches (must be 0) and the rate, and what a full 2^32 scan would cost — which
 * would find nothing either: the validator's key is an HMAC-SHA256 of a 256-bit secret, so the 2^32
 * keys the seed path can produce contain it with probability 2^32 / 2^256.
 */
import os from 'node:os';
import { cycleInstance } from '../src/sim/instance.ts';
import { scanDevSeeds } from '../src/sim/inversion.ts';
import { isEnvId, type EnvId } from '../src/sim/registry.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { randomBytes } from 'node:crypto';

export default async function inversion(args: string[]): Promise<void> {
  const seeds = Number(args[0] ?? 2 ** 18);
  const envId = (args[1] ?? 'metaworld/reach-v3') as EnvId;
  if (!Number.isSafeInteger(seeds) || seeds <= 0 || !isEnvId(envId)) throw new Error('usage: npm run bench -- inversion [seeds] [env]');
  const target = generateTask(
    envId,
    cycleInstance({
      secret: randomBytes(32).toString('hex'),
      blockHash: '0x' + 'ab'.repeat(32),
      envId,
      episodeIndex: 0,
      minerHotkey: 'victim',
      randomization: 'cued',
    }),
  );
  let matches = 0,
    seconds = 0;
  for (const episode of [0, 1]) {
    const r = scanDevSeeds(envId, target, 0, seeds, episode);
    matches += r.matches.length;
    seconds += r.seconds;
  }
  const rate = (2 * seeds) / seconds;
  console.log(
    `inversion ${envId}: scanned ${2 * seeds} (seed, episode) pairs of the development path in ${seconds.toFixed(1)} s (${rate.toFixed(0)}/s on one core)`,
  );
  console.log(`matches: ${matches} (expected 0)`);
  console.log(
    `a full 2^32 scan of one episode index: ${(2 ** 32 / rate / 3600).toFixed(0)} core-hours here (${(2 ** 32 / rate / 3600 / os.availableParallelism()).toFixed(0)} h on this box), with a probability of success of 2^32 / 2^256`,
  );
}
