/**
 * Pairwise "duel" data for the winner search: miners in first-commit order, their scores and
 * thresholds with the missing-value rules already applied, and for every ordered pair (a, b) the
 * bitmask of environments where b's score strictly exceeds a's threshold. "b beats a on every env
 * of subset S" is then `(S & ~beat[a][b]) === 0`.
 */
import type { WinnersInput } from './types.ts';
import { checkWinnersInput } from './validate.ts';

/** Gap used when a threshold is missing (docs/original.md §8.5: score(earlier) + 0.02). */
export const MISSING_THRESHOLD_GAP = 0.02;

export interface DuelTable {
  /** Miner count. */
  m: number;
  /** Environment count. */
  e: number;
  environments: readonly string[];
  /** uids in candidate order: ascending (first block, uid). */
  uids: Int32Array;
  /** First block per candidate index (missing → +∞), ascending. */
  blocks: Float64Array;
  /** Index of the first candidate sharing this candidate's block: those before it committed strictly earlier. */
  groupStart: Int32Array;
  /** score[c·e + env], missing → 0.0. */
  score: Float64Array;
  /** threshold[c·e + env], missing → score + 0.02. */
  threshold: Float64Array;
  /** beat[a·m + b]: envs where score(b) > threshold(a). */
  beat: Int32Array;
}

export function buildDuelTable(input: WinnersInput): DuelTable {
  checkWinnersInput(input);
  const { environments } = input;
  const e = environments.length;
  const blockOf = (uid: number): number => input.firstBlocks.get(uid) ?? Infinity;
  const ordered = [...input.uids].sort((a, b) => {
    const ba = blockOf(a);
    const bb = blockOf(b);
    return ba < bb ? -1 : ba > bb ? 1 : a - b;
  });
  const m = ordered.length;
  const uids = Int32Array.from(ordered);
  const blocks = Float64Array.from(ordered, blockOf);
  const groupStart = new Int32Array(m);
  for (let i = 1; i < m; i++) groupStart[i] = blocks[i] === blocks[i - 1] ? groupStart[i - 1]! : i;

  const score = new Float64Array(m * e);
  const threshold = new Float64Array(m * e);
  for (let c = 0; c < m; c++) {
    const uid = ordered[c]!;
    const scores = input.scores.get(uid);
    const thresholds = input.thresholds.get(uid);
    for (let j = 0; j < e; j++) {
      const env = environments[j]!;
      const s = scores?.get(env) ?? 0.0;
      score[c * e + j] = s;
      threshold[c * e + j] = thresholds?.get(env) ?? s + MISSING_THRESHOLD_GAP;
    }
  }

  const beat = new Int32Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      if (a === b) continue;
      let mask = 0;
      for (let j = 0; j < e; j++) if (score[b * e + j]! > threshold[a * e + j]!) mask |= 1 << j;
      beat[a * m + b] = mask;
    }
  }
  return { m, e, environments, uids, blocks, groupStart, score, threshold, beat };
}
