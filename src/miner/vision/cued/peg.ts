/**
 * peg-insert (cued) from pixels (docs/envs/peg-insert.md): read the cue; find the block roughly (its
 * coloured rims and tabs) to learn which side it is on and its yaw; find the dark peg on the other
 * side and grasp it near its tail; lift it, and with the hand now away from the block fit the block's
 * pose precisely through both calibrated cameras; tell which hole wears the cue colour; carry the
 * peg's head in front of that mouth on the channel's axis and push it in.
 *
 * Once the peg is held its head is not tracked in the images (the fingers and the block hide it): the
 * fingers close symmetrically and the peg cannot turn, so the head sits at a fixed offset from the
 * fingertips along the block's axis, known from where the peg was grasped.
 *
 * The block's perception (rough pose, precise fit, which hole wears a colour) is peg-block.ts.
 *
 * Time: the precise fit scores a few thousand candidate poses; it runs a bounded number of them per
 * `/act` (the hand holds still meanwhile), so no single step is slow.
 */
import { PEG } from '../../../sim/cued/peg.ts';
import { rotateZ, toward, toWorld } from '../../../sim/cued/geometry.ts';
import type { Vec3 } from '../camera.ts';
import { intersectHorizontal } from '../camera.ts';
import { fitPose, type Pose, type View } from '../fit.ts';
import type { Frame } from '../frame.ts';
import { CuedClass } from './classes.ts';
import { holeOfColour, maskedViews, roughBlock, startBlockFit, stepBlockFit, type BlockFit } from './peg-block.ts';
import { cue, HOLD, type CuedSkill, type EpisodeMemory } from './skill.ts';

const FINGER = 0.045;
const S = PEG.holeSpacing;

const PEG_MODEL = {
  name: 'peg',
  primitives: [{ kind: 'box' as const, centre: [0, 0, 0] as Vec3, half: [PEG.pegHalfLength, PEG.pegHalfWidth, PEG.pegHalfWidth] as Vec3 }],
};

/**
 * The peg's centre on the table: dark pixels whose rays land on the peg's half of the table (away from
 * the gripper's dark base), then a silhouette fit of the 24 × 3 × 3 cm box with the block's yaw.
 */
export function locatePeg(frame: Frame, views: readonly View[], block: Pose): Vec3 | undefined {
  const pegSide = Math.cos(block.yaw) > 0 ? 1 : -1; // the mouths face the peg
  const xs: number[] = [],
    ys: number[] = [];
  const hand = frame.hand;
  for (const v of views) {
    const dirs = v.camera.directions();
    const o = v.camera.centre;
    for (let p = 0; p < v.labels.length; p++) {
      if (v.labels[p] !== CuedClass.Dark) continue;
      const d: Vec3 = [dirs[3 * p]!, dirs[3 * p + 1]!, dirs[3 * p + 2]!];
      const q = intersectHorizontal({ origin: o, dir: d }, 0.022);
      if (!q || pegSide * q[0] < -0.02 || pegSide * q[0] > 0.5 || q[1] < 0.36 || q[1] > 0.9) continue;
      // Leave out rays that pass near the gripper (its base and wrist are dark too).
      const w = [hand[0] - o[0], hand[1] - o[1], hand[2] + 0.07 - o[2]];
      const t = w[0]! * d[0] + w[1]! * d[1] + w[2]! * d[2];
      if (Math.hypot(w[0]! - t * d[0], w[1]! - t * d[1], w[2]! - t * d[2]) < 0.09) continue;
      xs.push(q[0]);
      ys.push(q[1]);
    }
  }
  if (xs.length < 3) return undefined;
  const median = (a: number[]) => a.sort((u, v) => u - v)[a.length >> 1]!;
  const init: Pose = { x: median(xs), y: median(ys), z: PEG.pegHalfWidth, yaw: block.yaw };
  const fit = fitPose(
    views,
    PEG_MODEL,
    { target: [CuedClass.Dark], against: [CuedClass.Table] },
    { init, range: { x: 0.06, y: 0.03 }, resolution: { x: 0.003, y: 0.002 } },
  );
  return fit && fit.explained >= 3 ? [fit.pose.x, fit.pose.y, PEG.pegHalfWidth] : undefined;
}

/** Poses the precise block fit scores per step (a few milliseconds). */
const FIT_BUDGET = 40;

/**
 * Where the hand waits while it looks (hand frame, x mirrored to the peg's side): high over the peg's
 * half of the table, where neither the gripper nor the arm stands between a camera and the block or
 * the peg.
 */
const LOOK_POSE: Vec3 = [0.3, 0.7, 0.45];

/**
 * Where the vision skill grasps the peg: 3 cm toward the tail from its centre, so the head is 15 cm
 * from the fingertips (a shorter lever than the oracle's: a yaw error of the estimate moves the head
 * sideways by 15 cm × the error) while the fingers stay clear of the block with the head 8 cm in.
 */
const GRASP_FROM_CENTRE = 0.03;

/** Lateral and vertical offsets (block frame, metres) tried in turn when the head meets the face. */
const SEARCH = [
  [0, 0],
  [0.008, 0],
  [-0.008, 0],
  [0, 0.008],
  [0, -0.008],
  [0.008, 0.008],
  [-0.008, -0.008],
  [0.008, -0.008],
  [-0.008, 0.008],
  [0.016, 0],
  [-0.016, 0],
  [0, 0.016],
  [0, -0.016],
] as const;

interface PegMemory {
  rough?: { pose: Pose; colours: number };
  fit?: BlockFit;
  block?: Pose;
  hole?: number;
  peg?: Vec3;
  grasp?: Vec3;
  phase?: string;
  since?: number;
  /** Fingertips → peg head (world), fixed once the peg is held. */
  headFromTcp?: Vec3;
  /** Index into SEARCH of the insertion attempt. */
  attempt?: number;
}

/** A point in hole `hole`'s frame (depth along the axis, lateral, vertical), in world coordinates. */
function holePoint(block: Pose, hole: number, depth: number, lateral = 0, vertical = 0): Vec3 {
  return toWorld([block.x, block.y, block.z], block.yaw, [-depth, (hole - 1) * S + lateral, vertical]);
}

export const pegSkill: CuedSkill = (frame, memory: EpisodeMemory) => {
  const m = memory as EpisodeMemory & PegMemory;
  const target = cue(frame, memory);
  const tcp = frame.tcp;
  const go = (p: Vec3, effort: number) => ({ move: toward(frame.hand, [p[0], p[1], p[2] + FINGER], 10), effort });
  const set = (phase: string) => {
    m.phase = phase;
    m.since = 0;
  };
  m.since = (m.since ?? 0) + 1;
  if (!m.rough) {
    // Which side the block is on (roughly where): from the first frame that shows its colours.
    m.rough = roughBlock(maskedViews(frame));
    return m.rough ? HOLD : go([tcp[0], tcp[1], 0.3], -1);
  }
  const pegSide = m.rough.pose.x < 0 ? 1 : -1;
  const look: Vec3 = [pegSide * LOOK_POSE[0], LOOK_POSE[1], LOOK_POSE[2] - FINGER];
  switch (m.phase ?? 'to-look') {
    case 'to-look':
      if (Math.hypot(look[0] - tcp[0], look[1] - tcp[1], look[2] - tcp[2]) < 0.01 && frame.speed < 0.02) set('look');
      return go(look, -1);
    case 'look': {
      // Fit the block a slice per step, then find the peg and the target hole in the same frame.
      if (target === undefined) return HOLD;
      const views = maskedViews(frame);
      if (!m.fit) m.fit = startBlockFit(views, roughBlock(views) ?? m.rough);
      const result = stepBlockFit(m.fit, FIT_BUDGET);
      if (!result.done) return HOLD;
      m.block = result.pose ?? m.fit.search.best;
      m.fit = undefined;
      m.hole = holeOfColour(views, m.block, target);
      if (m.hole !== undefined) set('find-peg');
      return HOLD; // without the target's hole: look again (the next frame may show more)
    }
    case 'find-peg': {
      // A step of its own: each /act stays short.
      m.peg = locatePeg(frame, maskedViews(frame), m.block!);
      if (!m.peg) return m.since! > 20 ? (set('look'), HOLD) : HOLD;
      const along = rotateZ([1, 0, 0], m.block!.yaw); // the peg's head → tail direction
      m.grasp = [m.peg[0] + along[0] * GRASP_FROM_CENTRE, m.peg[1] + along[1] * GRASP_FROM_CENTRE, 0.006];
      set('approach');
      return HOLD;
    }
    case 'approach': {
      const g = m.grasp!;
      const above: Vec3 = [g[0], g[1], 0.07];
      if (Math.hypot(tcp[0] - g[0], tcp[1] - g[1]) < 0.005 && Math.abs(tcp[2] - above[2]) < 0.03) set('descend');
      return go(above, -1);
    }
    case 'descend':
      if (tcp[2] < 0.012) set('close');
      return go(m.grasp!, -1);
    case 'close':
      if (m.since! >= 10) {
        // Held: the head is half the peg plus the grasp offset ahead of the fingertips, on the block's
        // axis; the peg's centre sits 4 mm above the fingertips once lifted.
        const along = rotateZ([1, 0, 0], m.block!.yaw);
        const back = PEG.pegHalfLength + GRASP_FROM_CENTRE;
        m.headFromTcp = [-along[0] * back, -along[1] * back, 0.004];
        set('lift');
      }
      return { move: [0, 0, 0], effort: 1 };
    case 'lift': {
      const pre = holePoint(m.block!, m.hole!, -0.05);
      const up: Vec3 = [m.grasp![0], m.grasp![1], Math.max(0.06, pre[2] - m.headFromTcp![2])];
      if (tcp[2] > up[2] - 0.01) set('carry');
      return go(up, 1);
    }
    case 'carry':
    case 'insert': {
      // Line the head up 5 cm in front of the mouth (shifted by the current search offset), then push
      // it 8 cm in along the axis. If the head stops at the face, back off and try the next offset.
      const [dl, dv] = SEARCH[(m.attempt ?? 0) % SEARCH.length]!;
      const h = m.headFromTcp!;
      const fingertipsFor = (head: Vec3): Vec3 => [head[0] - h[0], head[1] - h[1], head[2] - h[2]];
      if (m.phase === 'carry') {
        const to = fingertipsFor(holePoint(m.block!, m.hole!, -0.05, dl, dv));
        if (Math.hypot(to[0] - tcp[0], to[1] - tcp[1], to[2] - tcp[2]) < 0.004) set('insert');
        return go(to, 1);
      }
      const head: Vec3 = [tcp[0] + h[0], tcp[1] + h[1], tcp[2] + h[2]];
      const depth = -toWorldLocal(m.block!, m.hole!, head)[0];
      if (m.since! > 8 && frame.speed < 0.01 && depth < 0.03) {
        m.attempt = (m.attempt ?? 0) + 1;
        set('carry');
      }
      return go(fingertipsFor(holePoint(m.block!, m.hole!, 0.08, dl, dv)), 1);
    }
    default:
      return HOLD;
  }
};

/** A world point in hole `hole`'s frame: [outward distance from the mouth, lateral, vertical]. */
function toWorldLocal(block: Pose, hole: number, p: Vec3): Vec3 {
  const mouth = holePoint(block, hole, 0);
  return rotateZ([p[0] - mouth[0], p[1] - mouth[1], p[2] - mouth[2]], -block.yaw);
}
