/** Placeholder for environment modules under construction (removed once all eight exist). */
import { z } from 'zod';
import type { CuedEnvModule } from './module.ts';

export function pendingModule(scene: string): CuedEnvModule {
  const fail = (): never => {
    throw new Error(`the cued ${scene} environment is not built yet`);
  };
  return {
    scene,
    candidates: 3,
    layoutSchema: z.unknown(),
    massBodies: [],
    requiredNames: [],
    generate: fail,
    handInit: fail,
    candidateGeoms: () => [],
    place: fail,
    measure: fail,
    judge: fail,
    keyPoints: fail,
    oracle: fail,
  };
}
