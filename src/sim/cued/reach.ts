/**
 * reach (cued): three goal markers float over the table anywhere in the hand's workspace; the target is
 * the marker wearing the cue colour. Success: the fingertips within 5 cm of the target marker for the
 * hold time. Violation: the fingertips within 5 cm of any other marker. The markers have no contacts,
 * so touch tells nothing; a sweep that passes a wrong marker ends the episode.
 */
import { z } from 'zod';
import type { Judgement } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { tolerance } from '../rewards.ts';
import { bounded } from '../randomization.ts';
import { dist, drawUntil, toward, uniformIn, xyDist, type Vec3 } from './geometry.ts';
import type { CuedEnvModule } from './module.ts';

export const REACH = {
  candidates: 3,
  /** Where marker centres can be. */
  low: [-0.35, 0.45, 0.08] as Vec3,
  high: [0.35, 0.85, 0.35] as Vec3,
  /** Marker spacing: in 3-D, and horizontally (so a vertical approach never passes another marker). */
  minSeparation: 0.15,
  minXySeparation: 0.1,
  handInit: [0, 0.6, 0.2] as Vec3,
  /** No marker within this of the fingertips' start, nor horizontally closer than `clearOfStartXy`. */
  clearOfStart: 0.12,
  clearOfStartXy: 0.08,
  /** Success (target) and violation (other markers) radius around a marker centre. */
  radius: 0.05,
};

/** Fingertips at the start: the hand frame is 4.5 cm above them. */
const START_TCP: Vec3 = [REACH.handInit[0], REACH.handInit[1], REACH.handInit[2] - 0.045];

export interface ReachLayout {
  markers: Vec3[];
}

const point = z.tuple([bounded(-0.5, 0.5), bounded(0.4, 1.0), bounded(0.02, 0.5)]);

export const reachModule: CuedEnvModule<ReachLayout, Record<string, never>> = {
  scene: 'reach',
  candidates: REACH.candidates,
  layoutSchema: z.object({ markers: z.array(point).length(REACH.candidates) }).strict() as z.ZodType<ReachLayout>,
  massBodies: [],
  requiredNames: [0, 1, 2].map((i) => ({ kind: 'body' as const, name: `marker_${i}` })),

  generate(rng: RandomSource): ReachLayout {
    const markers = drawUntil(
      () => Array.from({ length: REACH.candidates }, () => uniformIn(rng, REACH.low, REACH.high)),
      (ms) =>
        ms.every((m) => dist(m, START_TCP) >= REACH.clearOfStart && xyDist(m, START_TCP) >= REACH.clearOfStartXy) &&
        ms.every((a, i) => ms.every((b, j) => j <= i || (dist(a, b) >= REACH.minSeparation && xyDist(a, b) >= REACH.minXySeparation))),
      'reach markers',
    );
    return { markers };
  },

  handInit: () => REACH.handInit,
  candidateGeoms: (i) => [`marker_${i}`],

  place(env, layout) {
    layout.markers.forEach((m, i) => env.setStaticBodyPose(`marker_${i}`, m));
  },

  measure: () => ({}),

  judge(_now, _start, layout, target, hand): Judgement {
    const d = layout.markers.map((m) => dist(hand.tcp, m));
    const wrong = d.findIndex((di, i) => i !== target && di <= REACH.radius);
    const margin = dist(START_TCP, layout.markers[target]!);
    return {
      reward: 10 * tolerance(d[target]!, 0, REACH.radius, margin),
      success: d[target]! <= REACH.radius,
      violation: wrong >= 0 ? 'reached a wrong marker' : null,
    };
  },

  keyPoints: (_now, layout, target) => ({ object: [...layout.markers[target]!], goal: [...layout.markers[target]!] }),

  oracle({ hand, layout, target }) {
    // Rise above every marker, cross over, then come straight down onto the target: markers are at
    // least 10 cm apart horizontally (and 8 cm from the start's vertical), so neither the rise nor the
    // descent passes within 5 cm of another one.
    const goal = layout.markers[target]!;
    const safeZ = Math.min(0.44, Math.max(...layout.markers.map((m) => m[2])) + 0.09);
    const tcp = hand.tcp;
    const fromTcp = (p: Vec3): Vec3 => [p[0], p[1], p[2] + 0.045]; // hand frame for a fingertip point
    let waypoint: Vec3;
    if (xyDist(tcp, goal) > 0.02) waypoint = tcp[2] < safeZ - 0.02 && xyDist(tcp, goal) > 0.05 ? [tcp[0], tcp[1], safeZ] : [goal[0], goal[1], safeZ];
    else waypoint = goal;
    return { move: toward(hand.hand, fromTcp(waypoint), 10), effort: -1 };
  },
};
