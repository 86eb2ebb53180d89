/**
 * The cued family's scene binding: base scene + the cue light (data/scenes/cued/cue.xml, a band on
 * the gripper's wrist) + the environment's fragment; a neutral look; candidate colours and the cue
 * painted at every reset; judged by the environment module with held success.
 */
import type { EpisodeJudge, HandState, SceneAccess, SceneBinding } from '../binding.ts';
import type { EnvId } from '../registry.ts';
import { composeSceneFiles } from '../scene.ts';
import type { TaskConfig } from '../tasks.ts';
import { TABLE_GEOMS } from '../metaworld/binding.ts';
import { CUED_MODULES } from './index.ts';
import { CUED_SUCCESS_HOLD_STEPS, type CuedEnvModule } from './module.ts';
import { colourRgb, CUED_LOOK } from './palette.ts';
import type { CuedTaskConfig } from './tasks.ts';

/** The geom of the cue light on the wrist. */
export const CUE_LAMP_GEOM = 'cue_lamp';

/** Ground truth of a cued episode, under `PrivilegedState.cued`. */
export interface CuedPrivileged {
  layout: unknown;
  target: number;
  state: unknown;
  start: unknown;
}

function asCued(config: TaskConfig): CuedTaskConfig {
  if (config.randomization !== 'cued') throw new Error(`a ${config.randomization} task cannot run in a cued scene`);
  return config;
}

export function cuedBinding(envId: EnvId): SceneBinding {
  const module = CUED_MODULES[envId] as CuedEnvModule;
  const candidateGeoms = Array.from({ length: module.candidates }, (_, i) => module.candidateGeoms(i)).flat();
  return {
    randomization: 'cued',
    xml: composeSceneFiles(['cued/cue.xml', `cued/${module.scene}.xml`], `kinitro-cued-${module.scene}`),
    successHoldSteps: CUED_SUCCESS_HOLD_STEPS,
    tableGeoms: TABLE_GEOMS,
    massBodies: module.massBodies,
    look: CUED_LOOK,
    requiredNames: [{ kind: 'geom', name: CUE_LAMP_GEOM }, ...candidateGeoms.map((name) => ({ kind: 'geom' as const, name })), ...module.requiredNames],
    handInit: (config) => module.handInit(asCued(config).layout),
    paint(env, config) {
      const c = asCued(config);
      c.candidate_colours.forEach((colour, i) => {
        const rgb = colourRgb(colour, c.candidate_jitter[i]);
        for (const geom of module.candidateGeoms(i)) env.setGeomRgb(geom, rgb);
      });
      env.setGeomRgb(CUE_LAMP_GEOM, colourRgb(c.candidate_colours[c.target]!, c.cue_jitter));
    },
    place: (env, config) => module.place(env, asCued(config).layout),
    begin(env, config, _hand: HandState): EpisodeJudge {
      const c = asCued(config);
      const start = module.measure(env, c.layout);
      return {
        judge(scene: SceneAccess, hand: HandState) {
          return module.judge(module.measure(scene, c.layout), start, c.layout, c.target, hand);
        },
        privileged(scene: SceneAccess) {
          const state = module.measure(scene, c.layout);
          const { object, goal } = module.keyPoints(state, c.layout, c.target);
          const cued: CuedPrivileged = { layout: c.layout, target: c.target, state, start };
          return { object, objectQuat: [1, 0, 0, 0], goal, extras: { cued } };
        },
      };
    },
  };
}
