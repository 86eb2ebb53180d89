/**
 * drawer-open and drawer-close (cued): one chest of three identical drawers side by side, each with a
 * bar handle, on a plinth of random height, placed and turned anywhere the fixed-orientation gripper
 * can work it (docs/envs/drawer.md). The drawer fronts and handles wear the candidates' colours; the
 * target is the drawer whose colour the wrist's cue light shows.
 *
 * - drawer-open: every drawer starts shut. Success: the target open by at least 10 cm (of 14 cm of
 *   travel) for the hold time. Violation: any other drawer open by more than 3 cm.
 * - drawer-close: every drawer starts open by the same amount (10–13 cm, drawn per instance).
 *   Success: the target within 2 cm of shut for the hold time. Violation: any other drawer moved more
 *   than 3 cm from where it started (pushed in or pulled out).
 *
 * The drawers are identical to touch (same geoms, masses, slide, damping and limits) and touch
 * nothing but the gripper, so pushing or pulling one says nothing about which is the target, and the
 * first 3 cm of a wrong guess already end the episode.
 */
import { z } from 'zod';
import type { Judgement, SceneAccess } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { bounded } from '../randomization.ts';
import { tolerance } from '../rewards.ts';
import { add, dist, drawUntil, rotateZ, scale, toward, toWorld, xyDist, type Vec3 } from './geometry.ts';
import type { CuedEnvModule, CuedOracleView, OracleCommand } from './module.ts';

const DEG = Math.PI / 180;

export const DRAWER = {
  candidates: 3,
  /** Chest footprint centre on the table (x, y) and its turn about z. */
  x: [-0.15, 0.15] as const,
  y: [0.74, 0.885] as const,
  yaw: [-20 * DEG, 20 * DEG] as const,
  /** Height of the plinth top (the chest's base) above the table. */
  plinth: [0, 0.06] as const,
  /** The chest (data/scenes/cued/drawer.xml): half extents of its footprint, its height, the bays. */
  halfWidth: 0.219,
  halfDepth: 0.09,
  height: 0.124,
  /** Bay centres along the chest's local x. */
  bayX: [-0.142, 0, 0.142] as const,
  /** No part of the chest's footprint beyond this y: the far retaining wall's inner face is at 0.98. */
  backLimitY: 0.975,
  /**
   * Every handle, with its drawer pulled out by the full travel, at least this far from the robot:
   * the hand cannot go below y = 0.4, and the oracles work up to 7 cm in front of a bar.
   */
  handleMinY: 0.47,
  /** The slide's travel (both ends soft limits). */
  travel: 0.14,
  /** Where every drawer starts in drawer-close (drawn per instance, the same for all three). */
  closeStart: [0.1, 0.13] as const,
  /** Success: the target open by at least this much (drawer-open) / within this much of shut (drawer-close). */
  openedAt: 0.1,
  closedWithin: 0.02,
  /** Violation: any other drawer moved by more than this from its start. */
  wrongMove: 0.03,
  /** The handle bar's axis in a drawer's frame: 4.5 cm proud of the front, 2 cm above its middle. */
  handleStandoff: 0.045,
  /** …whose height above the plinth top is this (the bays' middle is at 6.2 cm). */
  handleZ: 0.082,
  /** The hand starts above the chest (one of the start poses miners know: docs/simulation.md). */
  handInit: [0, 0.6, 0.3] as Vec3,
};

export interface DrawerLayout {
  /** Chest footprint centre on the table. */
  centre: [number, number];
  /** The chest's turn about z (radians); 0 faces the robot (drawers slide toward −y). */
  yaw: number;
  /** Height of the plinth top, where the chest stands. */
  plinth: number;
  /** How far every drawer is open at the start (0 in drawer-open). */
  start: number;
}

export interface DrawerState {
  /** How far each drawer is open (metres along its slide). */
  opening: number[];
  /** The middle of each handle bar (world). */
  handles: Vec3[];
}

const layoutSchema = z
  .object({
    centre: z.tuple([bounded(-0.5, 0.5), bounded(0.4, 1.0)]),
    yaw: bounded(-Math.PI / 4, Math.PI / 4),
    plinth: bounded(0, 0.1),
    start: bounded(0, DRAWER.travel),
  })
  .strict() as z.ZodType<DrawerLayout>;

/** The direction a drawer opens in (the chest's local −y), in world coordinates. */
export function drawerOutward(yaw: number): Vec3 {
  return rotateZ([0, -1, 0], yaw);
}

/** Chest origin in the world: footprint centre at the plinth's top. */
function chestOrigin(layout: DrawerLayout): Vec3 {
  return [layout.centre[0], layout.centre[1], layout.plinth];
}

/** Where handle `i`'s bar middle is when its drawer is open by `opening` (world). */
export function handlePoint(layout: DrawerLayout, i: number, opening: number): Vec3 {
  const local: Vec3 = [DRAWER.bayX[i]!, -DRAWER.halfDepth - DRAWER.handleStandoff - opening, DRAWER.handleZ];
  return toWorld(chestOrigin(layout), layout.yaw, local);
}

/** The chest footprint's four corners (world, z = 0), for the layout rules. */
export function chestFootprint(layout: DrawerLayout): Vec3[] {
  const { halfWidth: w, halfDepth: d } = DRAWER;
  return [
    [-w, -d, 0],
    [w, -d, 0],
    [w, d, 0],
    [-w, d, 0],
  ].map((c) => toWorld([layout.centre[0], layout.centre[1], 0], layout.yaw, c as Vec3));
}

function generate(rng: RandomSource, start: (rng: RandomSource) => number): DrawerLayout {
  const pose = drawUntil(
    () => ({ centre: [rng.uniform(...DRAWER.x), rng.uniform(...DRAWER.y)] as [number, number], yaw: rng.uniform(...DRAWER.yaw) }),
    // The turned chest must stay clear of the far retaining wall (its back corners swing toward it).
    // and every handle, its drawer fully out, must leave the hand room in front of it.
    (p) => {
      const l: DrawerLayout = { ...p, plinth: 0, start: 0 };
      return chestFootprint(l).every((c) => c[1] <= DRAWER.backLimitY) && DRAWER.bayX.every((_, i) => handlePoint(l, i, DRAWER.travel)[1] >= DRAWER.handleMinY);
    },
    'drawer chest pose',
  );
  return { ...pose, plinth: rng.uniform(...DRAWER.plinth), start: start(rng) };
}

const candidateGeoms = (i: number): readonly string[] => [`drawer_front_${i}`, `drawer_handle_${i}`, `drawer_post_${i}_l`, `drawer_post_${i}_r`];

const requiredNames = [0, 1, 2].flatMap((i) => [
  { kind: 'body' as const, name: `drawer_${i}` },
  { kind: 'joint' as const, name: `drawer_slide_${i}` },
  { kind: 'site' as const, name: `drawer_handle_${i}` },
]);

/** The module parts the two tasks share; they differ in the start, the judge and the oracle. */
const shared = {
  scene: 'drawer',
  candidates: DRAWER.candidates,
  layoutSchema,
  massBodies: ['drawer_0', 'drawer_1', 'drawer_2'],
  requiredNames,
  handInit: (): Vec3 => DRAWER.handInit,
  candidateGeoms,
  place(env: SceneAccess, layout: DrawerLayout) {
    env.setStaticBodyPose('drawer_chest', chestOrigin(layout), layout.yaw);
    for (let i = 0; i < DRAWER.candidates; i++) env.setJointQpos(`drawer_slide_${i}`, layout.start);
  },
  measure(env: SceneAccess): DrawerState {
    const opening: number[] = [];
    const handles: Vec3[] = [];
    for (let i = 0; i < DRAWER.candidates; i++) {
      opening.push(env.jointQpos(`drawer_slide_${i}`));
      handles.push(env.sitePos(`drawer_handle_${i}`));
    }
    return { opening, handles };
  },
};

/** The first other drawer that moved more than the margin from its start, or −1. */
function wrongDrawer(now: DrawerState, start: DrawerState, target: number): number {
  return now.opening.findIndex((q, i) => i !== target && Math.abs(q - start.opening[i]!) > DRAWER.wrongMove);
}

// ---------- the oracles ----------

/** The gripper's geometry the oracles plan with (data/scenes/base.xml). */
const GRIP = {
  /** Fingertips below the hand frame. */
  finger: 0.045,
  /** Centre of the back (+y) finger plate from the hand frame with the fingers open. */
  backPlateOpen: 0.0485,
  /** Outer face of the back plate from the hand frame with the fingers closed. */
  backFaceClosed: 0.018,
};

type Phase = 'approach' | 'descend' | 'work';

/** Hand-frame point for a fingertip point. */
const handFor = (tcp: Vec3): Vec3 => [tcp[0], tcp[1], tcp[2] + GRIP.finger];

/**
 * Moves the hand to `workTcp` (a fingertip point at the handle's height) by way of a point above it
 * clear of the chest, then hands over to `work`. Phases live in `memory`.
 */
function approachThen(
  view: CuedOracleView<DrawerLayout, DrawerState>,
  memory: Record<string, unknown>,
  workTcp: Vec3,
  effort: number,
  work: () => OracleCommand,
): OracleCommand {
  const { hand, layout } = view;
  const tcp = hand.tcp;
  const safeZ = layout.plinth + DRAWER.height + 0.07;
  let phase = (memory.phase as Phase | undefined) ?? 'approach';
  if (phase === 'approach' && xyDist(tcp, workTcp) < 0.006) phase = 'descend';
  if (phase === 'descend' && Math.abs(tcp[2] - workTcp[2]) < 0.008) phase = 'work';
  memory.phase = phase;
  if (phase === 'approach') {
    // Rise first (the start is above everything, but a retried approach may not be), then cross over.
    const goal: Vec3 = tcp[2] < safeZ - 0.02 && xyDist(tcp, workTcp) > 0.02 ? [tcp[0], tcp[1], safeZ] : [workTcp[0], workTcp[1], safeZ];
    return { move: toward(hand.hand, handFor(goal), 10), effort };
  }
  if (phase === 'descend') return { move: toward(hand.hand, handFor(workTcp), 10), effort };
  return work();
}

/**
 * drawer-open: with the fingers open, lower the back (+y) finger plate into the gap between the
 * target's bar and its drawer front, fingertips 2.5 cm below the bar, then pull along the drawer's
 * axis until it is open by 12.5 cm and hold there.
 */
function openOracle(view: CuedOracleView<DrawerLayout, DrawerState>, memory: Record<string, unknown>): OracleCommand {
  const { layout, target, state, hand } = view;
  const out = drawerOutward(layout.yaw);
  const bar = state.handles[target]!;
  // Middle of the gap behind the bar (the bar's radius is 8 mm, the gap 3.7 cm).
  const gapFromBar = 0.008 + (DRAWER.handleStandoff - 0.008) / 2;
  const tcpForOpening = (q: number): Vec3 => {
    const gap = add(handlePoint(layout, target, q), scale(out, -gapFromBar));
    return [gap[0], gap[1] - GRIP.backPlateOpen, bar[2] - 0.025];
  };
  return approachThen(view, memory, tcpForOpening(state.opening[target]!), -1, () => ({
    move: toward(hand.hand, handFor(tcpForOpening(0.125)), 8),
    effort: -1,
  }));
}

/**
 * drawer-close: with the fingers closed, come down in front of the target's bar (5 cm clear of it),
 * fingertips 2 cm below it, then push along the drawer's axis to 1 cm past shut; the slide's limit
 * stops the drawer and the hand with it.
 */
function closeOracle(view: CuedOracleView<DrawerLayout, DrawerState>, memory: Record<string, unknown>): OracleCommand {
  const { layout, target, state, hand } = view;
  const out = drawerOutward(layout.yaw);
  const bar = state.handles[target]!;
  const front = (q: number, clear: number): Vec3 => {
    const p = add(handlePoint(layout, target, q), scale(out, clear));
    return [p[0], p[1] - GRIP.backFaceClosed, bar[2] - 0.02];
  };
  const approach = (memory.approachTcp as Vec3 | undefined) ?? front(state.opening[target]!, 0.05);
  memory.approachTcp = approach;
  return approachThen(view, memory, approach, 1, () => ({ move: toward(hand.hand, handFor(front(-0.01, 0.008)), 8), effort: 1 }));
}

// ---------- the two modules ----------

const handleReach = (hand: { tcp: Vec3 }, point: Vec3, from: Vec3): number => tolerance(dist(hand.tcp, point), 0, 0.02, Math.max(0.05, dist(from, point)));
const START_TCP: Vec3 = [DRAWER.handInit[0], DRAWER.handInit[1], DRAWER.handInit[2] - GRIP.finger];

export const drawerOpenModule: CuedEnvModule<DrawerLayout, DrawerState> = {
  ...shared,
  generate: (rng) => generate(rng, () => 0),

  judge(now, start, _layout, target, hand): Judgement {
    const q = now.opening[target]!;
    const wrong = wrongDrawer(now, start, target);
    const progress = Math.min(1, Math.max(0, q / DRAWER.openedAt));
    const reach = handleReach(hand, now.handles[target]!, START_TCP);
    const success = q >= DRAWER.openedAt;
    return {
      reward: success ? 10 : 10 * (0.3 * reach + 0.7 * progress),
      success,
      violation: wrong >= 0 ? 'opened a wrong drawer' : null,
    };
  },

  keyPoints: (now, layout, target) => ({ object: [...now.handles[target]!], goal: handlePoint(layout, target, DRAWER.openedAt) }),

  oracle: openOracle,
};

export const drawerCloseModule: CuedEnvModule<DrawerLayout, DrawerState> = {
  ...shared,
  generate: (rng) => generate(rng, (r) => r.uniform(...DRAWER.closeStart)),

  judge(now, start, _layout, target, hand): Judgement {
    const q = now.opening[target]!;
    const wrong = wrongDrawer(now, start, target);
    const from = start.opening[target]!;
    const progress = Math.min(1, Math.max(0, (from - q) / Math.max(1e-6, from - DRAWER.closedWithin)));
    const reach = handleReach(hand, now.handles[target]!, START_TCP);
    const success = q <= DRAWER.closedWithin;
    return {
      reward: success ? 10 : 10 * (0.3 * reach + 0.7 * progress),
      success,
      violation: wrong >= 0 ? 'moved a wrong drawer' : null,
    };
  },

  keyPoints: (now, layout, target) => ({ object: [...now.handles[target]!], goal: handlePoint(layout, target, 0) }),

  oracle: closeOracle,
};
