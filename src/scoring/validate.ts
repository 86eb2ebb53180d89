/** Input checks shared by both winner implementations and computeWeights. */
import { MAX_ENVIRONMENTS, type WinnersInput } from './types.ts';

export function checkWinnersInput(input: WinnersInput): void {
  const seen = new Set<number>();
  for (const uid of input.uids) {
    if (!Number.isSafeInteger(uid)) throw new RangeError(`uid ${uid} is not an integer`);
    if (seen.has(uid)) throw new RangeError(`duplicate uid ${uid}`);
    seen.add(uid);
  }
  if (new Set(input.environments).size !== input.environments.length) throw new RangeError('duplicate environment ids');
  if (input.environments.length > MAX_ENVIRONMENTS) {
    throw new RangeError(`${input.environments.length} environments: at most ${MAX_ENVIRONMENTS} are supported (2^E subsets)`);
  }
}
