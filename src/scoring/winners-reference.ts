/**
 * The subset winners-take-all rule written as a direct transcription of docs/original.md §8.5: enumerate
 * every k-combination of environments, sort the candidates by (first block, uid) and take the
 * first one no other miner defeats. Exponential in everything and slow on purpose: it is the
 * oracle the fast implementation (winners.ts) is tested against.
 */
import { subsetWeight } from './subsets.ts';
import type { WinnersInput, WinnersResult } from './types.ts';
import { checkWinnersInput } from './validate.ts';

/** Index combinations of size k from 0..n−1 in lexicographic order. */
function* combinations(n: number, k: number): Generator<number[]> {
  const combo = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield combo.slice();
    let i = k - 1;
    while (i >= 0 && combo[i] === n - k + i) i--;
    if (i < 0) return;
    combo[i]!++;
    for (let j = i + 1; j < k; j++) combo[j] = combo[j - 1]! + 1;
  }
}

export function findSubsetWinnersReference(input: WinnersInput): WinnersResult {
  checkWinnersInput(input);
  const { uids, environments } = input;
  const scheme = input.subsetWeight ?? 'linear';
  const points = new Map<number, number>([...uids].sort((a, b) => a - b).map((uid) => [uid, 0]));
  const winners = new Int32Array(1 << environments.length).fill(-1);
  if (uids.length === 0 || environments.length === 0) return { points, winners };

  const block = (uid: number): number => input.firstBlocks.get(uid) ?? Infinity;
  const score = (uid: number, env: string): number => input.scores.get(uid)?.get(env) ?? 0.0;
  const threshold = (uid: number, env: string): number => input.thresholds.get(uid)?.get(env) ?? score(uid, env) + 0.02;
  // Explicit comparisons: Infinity − Infinity is NaN.
  const candidates = [...uids].sort((a, b) => (block(a) < block(b) ? -1 : block(a) > block(b) ? 1 : a - b));

  const winnerOf = (subset: readonly string[]): number | null => {
    if (uids.length < 2) return uids[0] ?? null;
    for (const c of candidates) {
      let defeated = false;
      for (const o of uids) {
        if (o === c) continue;
        const cIsEarlier = block(c) <= block(o);
        const earlier = cIsEarlier ? c : o;
        const later = cIsEarlier ? o : c;
        let laterWins = 0;
        for (const env of subset) if (score(later, env) > threshold(earlier, env)) laterWins++;
        if (cIsEarlier ? laterWins === subset.length : laterWins !== subset.length) {
          defeated = true;
          break;
        }
      }
      if (!defeated) return c;
    }
    return null;
  };

  for (let k = 1; k <= environments.length; k++) {
    for (const combo of combinations(environments.length, k)) {
      const winner = winnerOf(combo.map((i) => environments[i]!));
      if (winner === null) continue;
      points.set(winner, points.get(winner)! + subsetWeight(scheme, k));
      winners[combo.reduce((mask, i) => mask | (1 << i), 0)] = winner;
    }
  }
  return { points, winners };
}
