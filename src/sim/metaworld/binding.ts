/**
 * The MetaWorld family's scene bindings: one object and one goal per task, placed as MetaWorld v3
 * places them, judged by MetaWorld's rewards and success tests (rewards.ts) at every step, and a
 * success at any single step counts (MetaWorld's own evaluation rule).
 */
import type { Vec3 } from '../arm.ts';
import type { EpisodeJudge, HandState, SceneAccess, SceneBinding } from '../binding.ts';
import type { EnvId } from '../registry.ts';
import { evaluateTask, type RewardInit } from '../rewards.ts';
import { composeSceneFiles } from '../scene.ts';
import type { TaskConfig } from '../tasks.ts';
import { PEG_TARGET_FROM_BOX, type MetaworldTaskConfig } from './tasks.ts';

interface Measured {
  object: Vec3;
  objectQuat: [number, number, number, number];
  extras: { doorAngle?: number; drawerSlide?: number; buttonSlide?: number; pegHead?: Vec3; holeBox?: Vec3 };
}

interface TaskPlacement {
  file: string;
  handInit: Vec3;
  /** Bodies whose mass/inertia `mass_scale` multiplies. */
  massBodies: string[];
  /** Geoms whose colour `object_tint` multiplies. */
  tintGeoms: string[];
  place(env: SceneAccess, config: MetaworldTaskConfig): void;
  measure(env: SceneAccess): Measured;
}

function puck(file: string): TaskPlacement {
  return {
    file,
    handInit: [0, 0.6, 0.2],
    massBodies: ['puck'],
    tintGeoms: ['puck'],
    place(env, config) {
      const [x, y] = config.object_positions;
      env.setFreeBody('puck_free', [x, y, 0.02]);
      env.setStaticBodyPose('goal', config.target_positions);
    },
    measure(env) {
      return { object: env.bodyPos('puck'), objectQuat: env.bodyQuat('puck'), extras: {} };
    },
  };
}

function drawer(closing: boolean): TaskPlacement {
  return {
    file: 'drawer',
    // Closing starts 10 cm higher than MetaWorld's 0.2: there the fingertips hover 5 mm above the open
    // drawer's front wall and uniform random actions close the drawer in 35–45 % of episodes.
    handInit: closing ? [0, 0.6, 0.3] : [0, 0.6, 0.2],
    massBodies: ['drawer_link'],
    tintGeoms: ['drawer_front', 'drawer_back', 'drawer_left', 'drawer_right', 'drawer_floor'],
    place(env, config) {
      env.setStaticBodyPose('drawer', config.object_positions);
      if (closing) env.setJointQpos('drawer_slide', -0.15);
    },
    measure(env) {
      const p = env.sitePos('drawer_point');
      if (closing) p[2] += 0.05;
      return { object: p, objectQuat: env.bodyQuat('drawer_link'), extras: { drawerSlide: env.jointQpos('drawer_slide') } };
    },
  };
}

const PLACEMENTS: Record<EnvId, TaskPlacement> = {
  'metaworld/reach-v3': puck('reach'),
  'metaworld/push-v3': puck('push'),
  'metaworld/pick-place-v3': puck('pick-place'),
  'metaworld/door-open-v3': {
    file: 'door',
    handInit: [0, 0.6, 0.2],
    massBodies: ['door_link'],
    tintGeoms: ['door_panel'],
    place(env, config) {
      env.setStaticBodyPose('door', config.object_positions);
    },
    measure(env) {
      return { object: env.sitePos('handle_point'), objectQuat: env.bodyQuat('door_link'), extras: { doorAngle: env.jointQpos('door_hinge') } };
    },
  },
  'metaworld/drawer-open-v3': drawer(false),
  'metaworld/drawer-close-v3': drawer(true),
  'metaworld/button-press-v3': {
    file: 'button',
    handInit: [0, 0.4, 0.2],
    massBodies: ['button'],
    tintGeoms: ['button_cap'],
    place(env, config) {
      env.setStaticBodyPose('button_box', config.object_positions);
    },
    measure(env) {
      return { object: env.sitePos('button_top'), objectQuat: env.bodyQuat('button'), extras: { buttonSlide: env.jointQpos('button_slide') } };
    },
  },
  'metaworld/peg-insert-v3': {
    file: 'peg',
    handInit: [0, 0.6, 0.2],
    massBodies: ['peg'],
    tintGeoms: ['peg'],
    place(env, config) {
      const [x, y] = config.object_positions;
      env.setFreeBody('peg_free', [x, y, 0.015]);
      const t = config.target_positions;
      env.setStaticBodyPose('hole_box', [t[0] - PEG_TARGET_FROM_BOX[0], t[1] - PEG_TARGET_FROM_BOX[1], t[2] - PEG_TARGET_FROM_BOX[2]]);
    },
    measure(env) {
      return {
        object: env.sitePos('peg_grasp'),
        objectQuat: env.bodyQuat('peg'),
        extras: { pegHead: env.sitePos('peg_head'), holeBox: env.bodyPos('hole_box') },
      };
    },
  },
};

/** Geoms whose colour the table tint multiplies. */
export const TABLE_GEOMS = ['table_top', 'table_leg_fl', 'table_leg_fr', 'table_leg_bl', 'table_leg_br'];

function asMetaworld(config: TaskConfig): MetaworldTaskConfig {
  if (config.randomization !== 'metaworld') throw new Error(`a ${config.randomization} task cannot run in a metaworld scene`);
  return config;
}

export function metaworldBinding(envId: EnvId): SceneBinding {
  const p = PLACEMENTS[envId];
  return {
    randomization: 'metaworld',
    xml: composeSceneFiles([`metaworld/${p.file}.xml`], `kinitro-${p.file}`),
    successHoldSteps: 1,
    tableGeoms: TABLE_GEOMS,
    massBodies: p.massBodies,
    requiredNames: [...p.tintGeoms.map((name) => ({ kind: 'geom' as const, name })), ...TABLE_GEOMS.map((name) => ({ kind: 'geom' as const, name }))],
    handInit: () => p.handInit,
    paint(env, config) {
      const tint = asMetaworld(config).domain_randomization.object_tint;
      for (const name of p.tintGeoms) env.tintGeom(name, tint);
    },
    place: (env, config) => p.place(env, asMetaworld(config)),
    begin(env, config, hand): EpisodeJudge {
      const first = p.measure(env);
      const goal: Vec3 = [...asMetaworld(config).target_positions];
      // Push: the goal lies on the table at the settled puck's height (MetaWorld does the same).
      if (envId === 'metaworld/push-v3') goal[2] = first.object[2];
      const init: RewardInit = {
        handInit: [...p.handInit],
        tcpInit: hand.tcp,
        objectInit: first.object,
        ...(first.extras.pegHead ? { pegHeadInit: first.extras.pegHead } : {}),
      };
      return {
        judge(scene: SceneAccess, h: HandState) {
          const m = p.measure(scene);
          const evaluation = evaluateTask(envId, { ...h, object: m.object, goal, ...m.extras }, init);
          return { reward: evaluation.reward, success: evaluation.success, violation: null };
        },
        privileged(scene: SceneAccess) {
          const m = p.measure(scene);
          return { object: m.object, objectQuat: m.objectQuat, goal: [...goal], extras: m.extras };
        },
      };
    },
  };
}
