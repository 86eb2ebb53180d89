/**
 * Blind attacks on cued drawer-open and drawer-close (docs/envs/drawer.md). What a blind miner knows:
 * the public ranges (the chest's centre within ±15 cm of x = 0, its drawers' fronts somewhere between
 * y ≈ 0.55 and 0.8, handle bars between 7 and 15 cm above the table) and what touch tells it. Touch
 * finds a bar or a drawer front well enough to hook or push it, but the three drawers feel the same,
 * and moving a wrong one by 3 cm ends the episode; so the best a blind policy can do is work one
 * drawer reliably and be right one time in three.
 *
 * The chest's centre is within ±15 cm of x = 0 and its drawers are 14.2 cm apart, so a line at x = 0
 * meets a drawer (its front, and usually its bar) about nine times in ten: the strongest attacks work
 * the drawer they meet there.
 */
import type { Vec3 } from '../../sim/arm.ts';
import { dwell, goTo, pick, probe, type BlindCommand, type BlindObservation, type BlindStrategy } from './common.ts';

const OPEN = 'metaworld/drawer-open-v3' as const;
const CLOSE = 'metaworld/drawer-close-v3' as const;

/** Fingertip height that puts the 9 cm finger plates across every possible bar and drawer front. */
const WORK_Z = 0.06;
/** Above the highest bar top (0.15 m) and below the gripper's reach limit; crossing height over the chest. */
const OVER_BAR_Z = 0.165;
const CRUISE_Z = 0.22;
/** In front of every drawer, shut or open. */
const FRONT_Y = 0.43;
/** Closed fingers: the back plate's outer face from the fingertip midpoint; open: the back plate's centre. */
const BACK_FACE_CLOSED = 0.018;
const BACK_PLATE_OPEN = 0.0485;
const BAR_RADIUS = 0.008;
/** Middle of the gap between a bar and its drawer front, behind the bar's axis. */
const GAP_MIDDLE = BAR_RADIUS + (0.045 - BAR_RADIUS) / 2;

type Step = Generator<BlindCommand, BlindObservation, BlindObservation>;

/** Lower the fingers (closed: `gripper` 1) in front of everything at x. */
function* lowerInFront(obs: BlindObservation, x: number, gripper: number): Step {
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], CRUISE_Z], { gripper, tolerance: 0.01 });
  obs = yield* goTo(obs, [x, FRONT_Y, CRUISE_Z], { gripper, tolerance: 0.008, gain: 15 });
  return yield* goTo(obs, [x, FRONT_Y, WORK_Z], { gripper, tolerance: 0.006, gain: 15 });
}

/**
 * Horizontal probes toward the chest with closed fingers at x − 3 cm, x, x + 3 cm (shut drawers do not
 * give way: the slide is at its limit). Returns the bar's axis y at the probe that met something
 * nearest the robot (a bar stands 4.5 cm proud of its front), and that probe's x.
 */
function* findBar(obs: BlindObservation, x: number): Generator<BlindCommand, { obs: BlindObservation; bar: Vec3 | undefined }, BlindObservation> {
  obs = yield* lowerInFront(obs, x - 0.03, 1);
  const hits: Vec3[] = [];
  for (const dx of [-0.03, 0, 0.03]) {
    obs = yield* goTo(obs, [x + dx, Math.max(FRONT_Y, (hits.at(-1)?.[1] ?? FRONT_Y + 0.05) - 0.05), WORK_Z], { gripper: 1, tolerance: 0.006, gain: 15 });
    const result = yield* probe(obs, [0, 1, 0], 0.5, { speed: 0.6, threshold: 0.006, gripper: 1 });
    obs = result.obs;
    if (result.contact) hits.push(result.contact.at);
    obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1] - 0.03, WORK_Z], { gripper: 1, tolerance: 0.008 });
  }
  if (hits.length === 0) return { obs, bar: undefined };
  const nearest = hits.reduce((a, b) => (b[1] < a[1] ? b : a));
  // The plate's outer face touched the bar's front surface.
  return { obs, bar: [nearest[0], nearest[1] + BACK_FACE_CLOSED + BAR_RADIUS, WORK_Z] };
}

/** Hook the bar at `bar` from above with the back plate (fingers open) and pull it toward the robot, then hold. */
function* hookAndPull(obs: BlindObservation, bar: Vec3): Generator<BlindCommand, void, BlindObservation> {
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], OVER_BAR_Z], { gripper: 0, tolerance: 0.008 });
  obs = yield* dwell(obs, 8, 0); // let the fingers open
  const hookY = bar[1] + GAP_MIDDLE - BACK_PLATE_OPEN;
  obs = yield* goTo(obs, [bar[0], hookY, OVER_BAR_Z], { gripper: 0, tolerance: 0.004 });
  obs = yield* goTo(obs, [bar[0], hookY, WORK_Z], { gripper: 0, tolerance: 0.006 });
  // The drawers may be turned by up to 20°: pulling straight toward the robot still opens one (the
  // plate slides along the bar, and the bar's posts stop it from sliding off).
  obs = yield* goTo(obs, [bar[0], hookY - 0.17, WORK_Z], { gripper: 0, tolerance: 0.01, gain: 8, maxSteps: 40 });
  for (;;) obs = yield* dwell(obs, 100, 0);
}

/** Push toward the chest along x (closed fingers) until the drawer met stops at shut, then hold. */
function* pushHome(obs: BlindObservation, x: number): Generator<BlindCommand, void, BlindObservation> {
  obs = yield* lowerInFront(obs, x, 1);
  const result = yield* probe(obs, [0, 1, 0], 0.55, { speed: 0.6, threshold: 0.01, gripper: 1 });
  obs = result.obs;
  // Keep pressing a little: the drawer stays shut.
  for (;;) obs = yield { move: [0, 0.05, 0], gripper: 1 };
}

export const drawerStrategies: BlindStrategy[] = [
  {
    name: 'drawer-open-probe-hook',
    envIds: [OPEN],
    techniques: ['touch-probe', 'fixed-line'],
    summary: 'probes toward the chest at x = 0 (and ±3 cm) to find a bar by touch, hooks it from above and pulls it toward the robot',
    *script(obs) {
      const found = yield* findBar(obs, 0);
      if (!found.bar) for (;;) yield* dwell(found.obs, 100);
      yield* hookAndPull(found.obs, found.bar!);
    },
  },
  {
    name: 'drawer-open-guess',
    envIds: [OPEN],
    techniques: ['touch-probe', 'random-candidate'],
    summary: 'picks one of three lines 14.2 cm apart (the bay pitch) at random, finds a bar there by touch, and pulls it',
    *script(obs, rng) {
      const found = yield* findBar(obs, pick(rng, [-0.142, 0, 0.142]));
      if (!found.bar) for (;;) yield* dwell(found.obs, 100);
      yield* hookAndPull(found.obs, found.bar!);
    },
  },
  {
    name: 'drawer-close-fixed-push',
    envIds: [CLOSE],
    techniques: ['fixed-line'],
    summary: 'pushes toward the chest along x = 0 with the closed fingers across every possible front height, and holds the drawer it meets shut',
    *script(obs) {
      yield* pushHome(obs, 0);
    },
  },
  {
    name: 'drawer-close-guess',
    envIds: [CLOSE],
    techniques: ['fixed-line', 'random-candidate'],
    summary: 'pushes home along one of three lines 14.2 cm apart (the bay pitch), chosen at random',
    *script(obs, rng) {
      yield* pushHome(obs, pick(rng, [-0.142, 0, 0.142]));
    },
  },
  {
    name: 'drawer-close-raster',
    envIds: [CLOSE],
    techniques: ['raster'],
    summary: 'pushes along lines every 7 cm across the chest, backing out between them and dwelling at each end to satisfy the hold',
    *script(obs) {
      for (const x of [0, -0.07, 0.07, -0.14, 0.14, -0.21, 0.21]) {
        obs = yield* lowerInFront(obs, x, 1);
        const result = yield* probe(obs, [0, 1, 0], 0.55, { speed: 0.8, threshold: 0.01, gripper: 1 });
        obs = yield* dwell(result.obs, 12, 1);
        obs = yield* goTo(obs, [obs.tcp[0], FRONT_Y, obs.tcp[2]], { gripper: 1, tolerance: 0.01, gain: 15 });
      }
    },
  },
];
