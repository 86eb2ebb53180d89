/**
 * peg-insert (cued): a block with three identical square through-holes in a row stands on one side of
 * the table (which side is random), its mouths facing the middle; a peg lies on the other side, parallel
 * to the channels, head toward the block. The holes differ only in the colour of the rim round each
 * mouth (and the tab on the block's top above each channel); the target is the hole wearing the cue
 * colour. Success: at least 4 cm of the peg inside the target channel with its axis within the channel's
 * clearance, for the hold time. Violation: the peg more than 1 cm inside another hole's channel.
 *
 * Why the success test is geometric (docs/envs/peg-insert.md): MetaWorld judged the head's distance to a
 * point inside the hole, and a held peg rammed into the solid face just below the hole sank close
 * enough to pass. Here the head must be 4 cm past the mouth AND the peg's axis inside the channel's
 * cross-section, a region only reachable through the channel; the block's and the peg's contacts are
 * stiff and take priority over the softer defaults (≤ 2.5 mm penetration measured under the weld's full
 * push), so no amount of ramming gets there.
 */
import { z } from 'zod';
import type { Judgement } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { tolerance } from '../rewards.ts';
import { bounded } from '../randomization.ts';
import { dist, drawUntil, toLocal, toward, toWorld, type V3, type Vec3 } from './geometry.ts';
import type { CuedEnvModule, OracleCommand } from './module.ts';

const DEG = Math.PI / 180;

export const PEG = {
  candidates: 3,
  /** Hole spacing along the block's row (local y), half the hole's side, channel length (data/scenes/cued/peg.xml). */
  holeSpacing: 0.1,
  holeHalf: 0.03,
  channelLength: 0.12,
  /** The peg: half its length and width; the grasp point is this far from its centre toward the tail. */
  pegHalfLength: 0.12,
  pegHalfWidth: 0.015,
  graspFromCentre: 0.07,
  /** Hole axes stand this high above the plinth's top (3 cm of block below the 6 cm hole). */
  holeAbovePlinth: 0.06,
  /** Ranges: |x| of the middle mouth, its y, the plinth height, the yaw jitter about "facing the middle". */
  mouthAbsX: [0.25, 0.4] as const,
  mouthY: [0.5, 0.8] as const,
  plinth: [0, 0.05] as const,
  yawJitter: 15 * DEG,
  /** The peg's centre: |x| on the other side of the table, and y. */
  pegAbsX: [0.05, 0.35] as const,
  pegY: [0.45, 0.8] as const,
  /** Where the fingertips must be able to go (the mocap box less a margin), for every hole. */
  reachLow: [-0.47, 0.43] as const,
  reachHigh: [0.47, 0.97] as const,
  /** Success: this much of the peg inside the target channel, its axis within `successLateral` of the channel's axis. */
  successOverlap: 0.04,
  /** The peg's axis can be 1.5 cm off-centre inside a 6 cm channel; 4 mm more for contact compliance. */
  successLateral: 0.019,
  /** Violation: this much of the peg inside another channel, its axis inside that hole's aperture. */
  wrongOverlap: 0.01,
  handInit: [0, 0.6, 0.2] as Vec3,
};

/** Head-to-grasp distance along the peg. */
const HEAD_TO_GRASP = PEG.pegHalfLength + PEG.graspFromCentre;

export interface PegLayout {
  /** The block's frame: the centre of the middle hole's mouth (on the hole axes), in world coordinates. */
  block: Vec3;
  /** The block frame's yaw: its local +x is the mouths' outward normal. The peg lies with the same yaw. */
  yaw: number;
  /** The peg's centre on the table (x, y). */
  peg: [number, number];
}

/** Positions of the peg's head, tail and grasp point (world). */
export interface PegState {
  head: Vec3;
  tail: Vec3;
  grasp: Vec3;
}

/** The centre of hole `i`'s mouth (world). */
export function holeMouth(layout: PegLayout, i: number): Vec3 {
  return toWorld(layout.block, layout.yaw, [0, (i - 1) * PEG.holeSpacing, 0]);
}

/** A point in hole `i`'s frame: [outward distance from the mouth (−depth), lateral, vertical]. */
export function inHoleFrame(layout: PegLayout, i: number, p: V3): Vec3 {
  return toLocal(holeMouth(layout, i), layout.yaw, p);
}

/** World point at `depth` along hole `i`'s axis (negative depth: outside the mouth). */
export function holeAxisPoint(layout: PegLayout, i: number, depth: number): Vec3 {
  return toWorld(holeMouth(layout, i), layout.yaw, [-depth, 0, 0]);
}

/**
 * How the peg sits in hole `i`'s channel: the length of the peg inside the channel's depth span
 * [0, channelLength] (`overlap`, ≤ 0 when outside), and the largest distance (∞-norm over lateral and
 * vertical) of the peg's axis from the channel's axis over that span (`offset`). The peg is straight,
 * so its axis offset is linear in depth and the span's two ends bound it.
 */
export function channelFit(layout: PegLayout, i: number, state: Pick<PegState, 'head' | 'tail'>): { overlap: number; offset: number; headDepth: number } {
  const h = inHoleFrame(layout, i, state.head);
  const t = inHoleFrame(layout, i, state.tail);
  const dh = -h[0],
    dt = -t[0];
  const lo = Math.max(Math.min(dh, dt), 0);
  const hi = Math.min(Math.max(dh, dt), PEG.channelLength);
  const overlap = hi - lo;
  const at = (depth: number): number => {
    const u = Math.abs(dt - dh) > 1e-9 ? (depth - dh) / (dt - dh) : 0;
    return Math.max(Math.abs(h[1] + u * (t[1] - h[1])), Math.abs(h[2] + u * (t[2] - h[2])));
  };
  const offset = overlap > 0 ? Math.max(at(lo), at(hi)) : Math.max(Math.abs(h[1]), Math.abs(h[2]));
  return { overlap, offset, headDepth: dh };
}

/** True when the peg is inserted in hole `i` in the success sense. */
export function insertedIn(layout: PegLayout, i: number, state: PegState): boolean {
  const f = channelFit(layout, i, state);
  return f.overlap >= PEG.successOverlap && f.offset <= PEG.successLateral;
}

/** True when the peg has entered hole `i` in the violation sense (more than 1 cm, axis inside the aperture). */
export function enteredHole(layout: PegLayout, i: number, state: PegState): boolean {
  const f = channelFit(layout, i, state);
  return f.overlap >= PEG.wrongOverlap && f.offset <= PEG.holeHalf;
}

/** The grasp point (world) when the peg's head is at `depth` on hole `i`'s axis. */
function graspAtDepth(layout: PegLayout, i: number, depth: number): Vec3 {
  return toWorld(holeMouth(layout, i), layout.yaw, [HEAD_TO_GRASP - depth, 0, 0]);
}

/** The peg's centre (world, resting on the table). */
export function pegCentre(layout: PegLayout): Vec3 {
  return [layout.peg[0], layout.peg[1], PEG.pegHalfWidth];
}

const inReach = (p: V3): boolean => p[0] >= PEG.reachLow[0] && p[0] <= PEG.reachHigh[0] && p[1] >= PEG.reachLow[1] && p[1] <= PEG.reachHigh[1];

const point2 = z.tuple([bounded(-0.5, 0.5), bounded(0.3, 1.0)]);

export const pegModule: CuedEnvModule<PegLayout, PegState> = {
  scene: 'peg',
  candidates: PEG.candidates,
  layoutSchema: z
    .object({
      block: z.tuple([bounded(-0.5, 0.5), bounded(0.3, 1.0), bounded(0.03, 0.2)]),
      yaw: bounded(-Math.PI, Math.PI),
      peg: point2,
    })
    .strict() as z.ZodType<PegLayout>,
  massBodies: ['peg'],
  requiredNames: [
    { kind: 'body', name: 'peg' },
    { kind: 'body', name: 'peg_block' },
    { kind: 'joint', name: 'peg_free' },
    { kind: 'site', name: 'peg_head' },
    { kind: 'site', name: 'peg_tail' },
    { kind: 'site', name: 'peg_grasp' },
  ],

  generate(rng: RandomSource): PegLayout {
    return drawUntil(
      (): PegLayout => {
        // The block's side: −1 left (mouths face +x), +1 right (mouths face −x). The peg lies on the
        // other side with the same yaw, so its head (local −x) points into the channels.
        const side = rng.int(2) === 0 ? -1 : 1;
        const jitter = rng.uniform(-PEG.yawJitter, PEG.yawJitter);
        const yaw = side < 0 ? jitter : jitter > 0 ? jitter - Math.PI : jitter + Math.PI;
        const block: Vec3 = [
          side * rng.uniform(PEG.mouthAbsX[0], PEG.mouthAbsX[1]),
          rng.uniform(PEG.mouthY[0], PEG.mouthY[1]),
          PEG.holeAbovePlinth + rng.uniform(PEG.plinth[0], PEG.plinth[1]),
        ];
        const peg: [number, number] = [-side * rng.uniform(PEG.pegAbsX[0], PEG.pegAbsX[1]), rng.uniform(PEG.pegY[0], PEG.pegY[1])];
        return { block, yaw, peg };
      },
      (layout) => {
        // Every hole must be workable (the same rule for all three): the fingertips reach the grasp
        // point with the head 5 cm outside the mouth and 10 cm deep; and the peg's grasp point is reachable.
        for (let i = 0; i < PEG.candidates; i++) {
          if (!inReach(graspAtDepth(layout, i, -0.05)) || !inReach(graspAtDepth(layout, i, 0.1))) return false;
        }
        const grasp = toWorld(pegCentre(layout), layout.yaw, [PEG.graspFromCentre, 0, 0]);
        return inReach(grasp);
      },
      'peg-insert layout',
    );
  },

  handInit: () => PEG.handInit,
  candidateGeoms: (i) => ['rim_top', 'rim_bottom', 'rim_left', 'rim_right', 'tab'].map((part) => `hole_${i}_${part}`),

  place(env, layout) {
    env.setStaticBodyPose('peg_block', layout.block, layout.yaw);
    env.setFreeBody('peg_free', pegCentre(layout), layout.yaw);
  },

  measure: (env) => ({ head: env.sitePos('peg_head'), tail: env.sitePos('peg_tail'), grasp: env.sitePos('peg_grasp') }),

  judge(now, start, layout, target, hand): Judgement {
    const wrong = [0, 1, 2].findIndex((i) => i !== target && enteredHole(layout, i, now));
    const fit = channelFit(layout, target, now);
    // Shaped reward: reach the grasp point, lift the peg, line its head up with the target's axis, go in.
    const reach = tolerance(dist(hand.tcp, now.grasp), 0, 0.015, 0.25);
    const lifted = Math.min(1, Math.max(0, (now.grasp[2] - start.grasp[2]) / 0.03));
    const h = inHoleFrame(layout, target, now.head);
    const align = tolerance(Math.hypot(h[1], h[2]), 0, 0.01, 0.1) * tolerance(h[0], -0.12, 0.06, 0.3);
    const inserted = fit.offset <= PEG.successLateral ? Math.min(1, Math.max(0, fit.overlap / PEG.successOverlap)) : 0;
    return {
      reward: 10 * (0.15 * reach + 0.15 * lifted + 0.3 * align + 0.4 * inserted),
      success: fit.overlap >= PEG.successOverlap && fit.offset <= PEG.successLateral,
      violation: wrong >= 0 ? 'inserted the peg into a wrong hole' : null,
    };
  },

  keyPoints: (now, layout, target) => ({ object: [...now.grasp], goal: holeAxisPoint(layout, target, 0.06) }),

  oracle({ hand, layout, target, state }, memory): OracleCommand {
    // Phases: over the grasp point → down → close → carry the head to 5 cm before the target's mouth,
    // on its axis → push 8 cm along the axis. While the peg is held, the head is steered directly
    // (the mocap integrates the commands, so a proportional law on the head has no steady error).
    const phase = (memory.phase as string | undefined) ?? 'approach';
    const tcp = hand.tcp;
    const grasp = state.grasp;
    const set = (next: string) => {
      memory.phase = next;
      memory.since = 0;
    };
    memory.since = ((memory.since as number | undefined) ?? 0) + 1;
    switch (phase) {
      case 'approach': {
        const above: Vec3 = [grasp[0], grasp[1], 0.07];
        if (Math.hypot(tcp[0] - grasp[0], tcp[1] - grasp[1]) < 0.008 && Math.abs(tcp[2] - above[2]) < 0.03) set('descend');
        return { move: toward(tcp, above, 10), effort: -1 };
      }
      case 'descend': {
        const low: Vec3 = [grasp[0], grasp[1], 0.006];
        if (tcp[2] < 0.012) set('close');
        return { move: toward(tcp, low, 10), effort: -1 };
      }
      case 'close':
        if ((memory.since as number) >= 10) set('carry');
        return { move: [0, 0, 0], effort: 1 };
      case 'carry': {
        const pre = holeAxisPoint(layout, target, -0.05);
        // Lift first (keeps the peg off the table while it crosses), then head for the pre-insert point.
        const goal: Vec3 = state.head[2] < pre[2] - 0.02 ? [state.head[0], state.head[1], pre[2]] : pre;
        if (dist(state.head, pre) < 0.006) set('insert');
        return { move: toward(state.head, goal, 10), effort: 1 };
      }
      default: {
        const deep = holeAxisPoint(layout, target, 0.08);
        return { move: toward(state.head, deep, 10), effort: 1 };
      }
    }
  },
};
