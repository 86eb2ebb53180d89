/**
 * button-press (cued, top-down): a neutral panel with three identical spring-loaded buttons in a row,
 * anywhere on the table at any yaw and a random height; the caps wear the candidates' colours and the
 * wrist cue light says which one to press (docs/envs/button-press.md).
 *
 * Success: the target pressed at least 2/3 of its 12 mm travel for the hold time — its spring pushes
 * it back up as soon as it is released, so the policy has to keep pressing. Violation: any other
 * button pressed more than 1/3 of its travel. The caps are identical to touch, so a blind policy that
 * finds them by touch can do no better than pick one.
 */
import { z } from 'zod';
import type { Judgement } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { bounded } from '../randomization.ts';
import { tolerance } from '../rewards.ts';
import { dist, drawUntil, toWorld, toward, xyDist, type Vec3 } from './geometry.ts';
import type { CuedEnvModule } from './module.ts';

/** Numbers of data/scenes/cued/button.xml (panel frame: origin at the centre of the panel's top face). */
export const BUTTON = {
  candidates: 3,
  /** Panel centre (x, y), yaw (any) and the height of its top face. */
  x: [-0.3, 0.3] as const,
  y: [0.5, 0.85] as const,
  yaw: [0, 2 * Math.PI] as const,
  top: [0.06, 0.16] as const,
  /** Panel half extents (x along the row, y across). */
  halfLength: 0.19,
  halfWidth: 0.065,
  /** Button k's centre on the panel: x = (k − 1)·spacing. */
  spacing: 0.12,
  capRadius: 0.03,
  /** Cap top above the panel at rest, and the travel down to the bottom stop. */
  capHeight: 0.02,
  travel: 0.012,
  /** Pressed fractions of the travel: success (target) and violation (any other button). */
  successFraction: 2 / 3,
  violationFraction: 1 / 3,
  /** Every cap centre stays this far inside the hand's reach (the mocap box, x ±0.5, y 0.4…1.0). */
  reachX: 0.46,
  reachY: [0.44, 0.96] as const,
  /** The panel stays inside the retaining walls (inner faces at x ±0.68, y 0.22 and 0.98). */
  wallX: 0.67,
  wallY: [0.23, 0.97] as const,
  /** The hand starts above the highest possible cap. */
  handInit: [0, 0.6, 0.3] as Vec3,
};

export interface ButtonLayout {
  /** Panel centre (x, y), yaw, and the height of its top face. */
  x: number;
  y: number;
  yaw: number;
  top: number;
}

export interface ButtonState {
  /** How far each button is pressed (metres, 0 at rest … BUTTON.travel at the bottom stop). */
  depths: number[];
}

function panelOrigin(layout: ButtonLayout): Vec3 {
  return [layout.x, layout.y, layout.top];
}

/** The top centre of button k's cap, pressed by `depth`, in world coordinates. */
export function capTop(layout: ButtonLayout, k: number, depth = 0): Vec3 {
  return toWorld(panelOrigin(layout), layout.yaw, [(k - 1) * BUTTON.spacing, 0, BUTTON.capHeight - depth]);
}

function panelCorners(layout: ButtonLayout): Vec3[] {
  const { halfLength: a, halfWidth: b } = BUTTON;
  return [
    [-a, -b],
    [a, -b],
    [-a, b],
    [a, b],
  ].map(([x, y]) => toWorld(panelOrigin(layout), layout.yaw, [x!, y!, 0]));
}

const layoutSchema = z
  .object({
    x: bounded(BUTTON.x[0], BUTTON.x[1]),
    y: bounded(BUTTON.y[0], BUTTON.y[1]),
    yaw: bounded(BUTTON.yaw[0], BUTTON.yaw[1]),
    top: bounded(BUTTON.top[0], BUTTON.top[1]),
  })
  .strict() as z.ZodType<ButtonLayout>;

const names = (prefix: string) => [0, 1, 2].map((k) => `${prefix}_${k}`);

export const buttonModule: CuedEnvModule<ButtonLayout, ButtonState> = {
  scene: 'button',
  candidates: BUTTON.candidates,
  layoutSchema,
  massBodies: names('button'),
  requiredNames: [{ kind: 'body', name: 'panel' }, ...names('button_slide').map((name) => ({ kind: 'joint' as const, name }))],

  generate(rng: RandomSource): ButtonLayout {
    // The buttons are placed by the panel as a whole, so the layout is symmetric in them by
    // construction; the rules keep every cap within reach and the panel inside the walls.
    return drawUntil(
      () => ({ x: rng.uniform(...BUTTON.x), y: rng.uniform(...BUTTON.y), yaw: rng.uniform(...BUTTON.yaw), top: rng.uniform(...BUTTON.top) }),
      (l) =>
        [0, 1, 2].every((k) => {
          const c = capTop(l, k);
          return Math.abs(c[0]) <= BUTTON.reachX && c[1] >= BUTTON.reachY[0] && c[1] <= BUTTON.reachY[1];
        }) && panelCorners(l).every((c) => Math.abs(c[0]) <= BUTTON.wallX && c[1] >= BUTTON.wallY[0] && c[1] <= BUTTON.wallY[1]),
      'button panel',
    );
  },

  handInit: () => BUTTON.handInit,
  candidateGeoms: (k) => [`button_cap_${k}`, `panel_bezel_${k}`],

  place(env, layout) {
    env.setStaticBodyPose('panel', panelOrigin(layout), layout.yaw);
  },

  measure: (env) => ({ depths: [0, 1, 2].map((k) => -env.jointQpos(`button_slide_${k}`)) }),

  judge(now, _start, layout, target, hand): Judgement {
    const depth = now.depths[target]!;
    const success = depth >= BUTTON.successFraction * BUTTON.travel;
    const wrong = now.depths.findIndex((d, k) => k !== target && d > BUTTON.violationFraction * BUTTON.travel);
    const reach = tolerance(dist(hand.tcp, capTop(layout, target, depth)), 0, 0.01, 0.3);
    const pressed = Math.min(1, Math.max(0, depth) / (BUTTON.successFraction * BUTTON.travel));
    return {
      reward: 10 * (success ? 1 : 0.3 * reach + 0.7 * pressed),
      success,
      violation: wrong >= 0 ? 'pressed a wrong button' : null,
    };
  },

  keyPoints: (now, layout, target) => ({ object: capTop(layout, target, now.depths[target]!), goal: capTop(layout, target, BUTTON.travel) }),

  oracle({ hand, layout, target }) {
    // Hover above the target cap (clear of every cap, which all stand at the same height), then come
    // straight down with closed fingers and keep pushing a little below the bottom stop, so the
    // spring cannot lift the cap back while the success test is held.
    const top = capTop(layout, target);
    const hover: Vec3 = [top[0], top[1], top[2] + 0.06];
    const tcp = hand.tcp;
    const off = xyDist(tcp, top);
    const low = tcp[2] < hover[2] - 0.015;
    let goal: Vec3;
    if (off <= 0.008 || (low && off <= 0.02)) goal = [top[0], top[1], top[2] - BUTTON.travel - 0.01];
    else if (low) goal = [tcp[0], tcp[1], hover[2]];
    else goal = hover;
    return { move: toward(hand.hand, [goal[0], goal[1], goal[2] + 0.045], 12), effort: 1 };
  },
};
