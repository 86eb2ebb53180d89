/**
 * Pure comparison of the actions the live endpoint answered during a real episode with those the
 * committed code answers, in the sandbox, to the same requests. Only what the simulator consumes is
 * compared: the translational part of `ee_twist` (three values; MetaWorld ignores the angular part) and
 * the gripper command. Two values agree when |live − committed| ≤ atol + rtol·|committed|.
 */
export interface ComparedAction {
  eeTwist: readonly number[];
  gripper: number;
}

export interface Tolerance {
  /** Absolute tolerance (default 1e-3). */
  atol: number;
  /** Relative tolerance (default 1e-3, the original's `verification_tolerance`). */
  rtol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-3, rtol: 1e-3 };

export interface Comparison {
  /** All compared steps agree. */
  agree: boolean;
  stepsCompared: number;
  /** Largest absolute difference over every compared value. */
  maxDifference: number;
  /** The first step that disagrees (0-based), or null. */
  firstMismatchStep: number | null;
}

function values(a: ComparedAction): number[] {
  return [a.eeTwist[0] ?? 0, a.eeTwist[1] ?? 0, a.eeTwist[2] ?? 0, a.gripper];
}

export function compareActions(live: readonly ComparedAction[], committed: readonly ComparedAction[], tol: Tolerance = DEFAULT_TOLERANCE): Comparison {
  const n = Math.min(live.length, committed.length);
  let maxDifference = 0;
  let firstMismatchStep: number | null = null;
  for (let i = 0; i < n; i++) {
    const l = values(live[i]!);
    const c = values(committed[i]!);
    for (let k = 0; k < l.length; k++) {
      const d = Math.abs(l[k]! - c[k]!);
      if (!(d <= tol.atol + tol.rtol * Math.abs(c[k]!))) firstMismatchStep ??= i;
      if (d > maxDifference || Number.isNaN(d)) maxDifference = Number.isNaN(d) ? Infinity : d;
    }
  }
  return { agree: firstMismatchStep === null && n === live.length && n === committed.length, stepsCompared: n, maxDifference, firstMismatchStep };
}
