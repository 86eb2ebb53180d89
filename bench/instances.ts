/**
 * Instances for the benchmarks: the default (cued) family for every environment whose cued scene
 * exists, MetaWorld's for the others (while the cued scenes are still being built), so a benchmark
 * always runs all eight environments. Also the machine's load, printed with every result: timings
 * taken while other processes compete for the CPU are not comparable.
 */
import os from 'node:os';
import { sceneXmlFor } from '../src/sim/env.ts';
import { devInstance, type Randomization } from '../src/sim/instance.ts';
import { ENV_IDS, type EnvId } from '../src/sim/registry.ts';

const families = new Map<EnvId, Randomization>();

/** The family a benchmark runs `envId` in: cued when its scene builds, else metaworld. */
export function benchFamily(envId: EnvId): Randomization {
  let family = families.get(envId);
  if (!family) {
    try {
      sceneXmlFor(envId, 'cued');
      family = 'cued';
    } catch {
      family = 'metaworld';
    }
    families.set(envId, family);
  }
  return family;
}

/** Development instance i of `envId` in its benchmark family. */
export function benchInstance(envId: EnvId, i: number, seed = 1): string {
  return devInstance(seed, i, benchFamily(envId));
}

/** "cued: reach; metaworld: push, …" for the report header. */
export function familiesLine(): string {
  const by = new Map<Randomization, string[]>();
  for (const envId of ENV_IDS) {
    const f = benchFamily(envId);
    by.set(f, [...(by.get(f) ?? []), envId.split('/')[1]!.replace(/-v3$/, '')]);
  }
  return [...by].map(([f, ids]) => `${f}: ${ids.join(', ')}`).join('; ');
}

/** The load averages (1, 5, 15 min) and core count, e.g. "load 0.42 0.61 0.80 on 2 cores". */
export function loadLine(): string {
  const [a, b, c] = os.loadavg();
  return `load ${a!.toFixed(2)} ${b!.toFixed(2)} ${c!.toFixed(2)} on ${os.availableParallelism()} cores`;
}

/** Prints a warning when the machine is busy enough to distort the numbers. */
export function warnIfLoaded(): void {
  const [one] = os.loadavg();
  if (one! > os.availableParallelism()) {
    console.log(`WARNING: 1-minute load ${one!.toFixed(1)} exceeds the ${os.availableParallelism()} cores: timings below are not representative`);
  }
}
