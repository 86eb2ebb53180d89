/**
 * Which environments this version can run. The cued family's environments land one by one; until
 * one does, its module refuses to generate tasks (or its scene file is missing). `all` in training
 * tools means the ones that run, with the others reported by name — not a silent subset.
 */
import { sceneXmlFor } from '../sim/env.ts';
import { DEFAULT_RANDOMIZATION, devInstance, type Randomization } from '../sim/instance.ts';
import { ENV_IDS, type EnvId } from '../sim/registry.ts';
import { generateTask } from '../sim/tasks.ts';

const cache = new Map<Randomization, { ok: EnvId[]; reasons: Partial<Record<EnvId, string>> }>();

export function availableEnvIds(randomization: Randomization = DEFAULT_RANDOMIZATION): { ok: EnvId[]; reasons: Partial<Record<EnvId, string>> } {
  let found = cache.get(randomization);
  if (!found) {
    const ok: EnvId[] = [];
    const reasons: Partial<Record<EnvId, string>> = {};
    for (const envId of ENV_IDS) {
      try {
        sceneXmlFor(envId, randomization);
        generateTask(envId, devInstance(0, 0, randomization));
        ok.push(envId);
      } catch (err) {
        reasons[envId] = (err as Error).message;
      }
    }
    found = { ok, reasons };
    cache.set(randomization, found);
  }
  return found;
}
