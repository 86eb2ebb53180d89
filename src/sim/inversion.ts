/**
 * The attack the instance keys defeat, written down so a test and a benchmark can run it: enumerate
 * every integer seed a public generator path accepts (`--seed` development instances), generate the
 * task each one gives, and compare it with an observed instance. With the old 31-bit seeds this
 * recovered a validator's seed in minutes; a validator instance now comes from a 256-bit HMAC of the
 * operator's secret, so no seed of the public path reproduces it.
 *
 * A task config determines the episode's first observation (the simulator is deterministic), so a
 * seed that does not reproduce the config cannot reproduce the observation; comparing configs is the
 * cheap, exact form of the attack.
 */
import { devInstance, type Randomization } from './instance.ts';
import type { EnvId } from './registry.ts';
import { generateTask, type TaskConfig } from './tasks.ts';

/** What an attacker can see of a config: everything but the key it came from. */
export function observableConfig(config: TaskConfig): string {
  const { instance: _secret, ...rest } = config;
  return JSON.stringify(rest);
}

export interface ScanResult {
  scanned: number;
  matches: number[];
  seconds: number;
}

/** Tries seeds [from, to) (episode index `episode`) of the development path against `target`. */
export function scanDevSeeds(
  envId: EnvId,
  target: TaskConfig,
  from: number,
  to: number,
  episode = 0,
  randomization: Randomization = target.randomization,
): ScanResult {
  const wanted = observableConfig(target);
  const started = performance.now();
  const matches: number[] = [];
  for (let seed = from; seed < to; seed++) {
    if (observableConfig(generateTask(envId, devInstance(seed, episode, randomization))) === wanted) matches.push(seed);
  }
  return { scanned: to - from, matches, seconds: (performance.now() - started) / 1000 };
}
