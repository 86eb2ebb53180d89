/**
 * Action semantics (docs/original.md §5.2) for the MetaWorld family. `continuous.ee_twist[0..2]` in [−1, 1] moves
 * the hand's mocap target by value × 1 cm per control step (MetaWorld's native action scale); the
 * angular part is ignored because the hand's orientation is fixed. `continuous.gripper[0]` in [0, 1]
 * is 0 open … 1 closed and maps onto MetaWorld's effort 2g − 1. Anything malformed degrades to a
 * neutral value instead of throwing: out-of-range values are clipped, NaN/±Infinity/non-numbers and
 * missing channels become 0, so no miner input can crash the simulator.
 */

/** Metres the mocap moves per control step at a full-scale command. */
export const ACTION_SCALE = 0.01;

export interface NativeAction {
  /** Mocap displacement command, each in [−1, 1] (multiply by ACTION_SCALE for metres). */
  move: [number, number, number];
  /** Finger effort in [−1, 1]: −1 opens, +1 closes (MetaWorld's a[3]). */
  effort: number;
}

function finiteOrZero(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function clip(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

function channel(continuous: unknown, name: string): unknown[] {
  if (typeof continuous !== 'object' || continuous === null) return [];
  const values = (continuous as Record<string, unknown>)[name];
  return Array.isArray(values) ? values : [];
}

/** Converts a wire Action (or anything) into the native command. Never throws. */
export function toNativeAction(action: unknown): NativeAction {
  const continuous = typeof action === 'object' && action !== null ? (action as { continuous?: unknown }).continuous : undefined;
  const twist = channel(continuous, 'ee_twist');
  const gripper = clip(finiteOrZero(channel(continuous, 'gripper')[0]), 0, 1);
  return {
    move: [clip(finiteOrZero(twist[0]), -1, 1), clip(finiteOrZero(twist[1]), -1, 1), clip(finiteOrZero(twist[2]), -1, 1)],
    effort: 2 * gripper - 1,
  };
}

/** Builds a wire Action from a native command, clipped to the wire ranges (used by the in-process policies). */
export function fromNativeAction(
  move: readonly number[],
  effort: number,
): { continuous: Record<string, number[]>; discrete: Record<string, number>; extra: Record<string, unknown> } {
  const g = clip((finiteOrZero(effort) + 1) / 2, 0, 1);
  return {
    continuous: { ee_twist: [0, 1, 2].map((i) => clip(finiteOrZero(move[i]), -1, 1)).concat([0, 0, 0]), gripper: [g] },
    discrete: {},
    extra: {},
  };
}
