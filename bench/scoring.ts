/**
 * Scoring benchmark: the fast subset winners-take-all search vs the plain enumeration of docs/original.md §8.5.
 *
 *   npm run bench -- scoring [--miners 256] [--envs 8,12,16] [--runs 5] [--budget-s 30] [--seed 1]
 *
 * Three score sets per size, all success rates k/50: "random" (per-miner skill plus per-env noise;
 * first blocks spread over 400 blocks with collisions, 10 % unknown), "uniform" (independent
 * uniform rates, same blocks) and "same-block" (independent uniform rates, every first block
 * unknown, so every miner is a full-width candidate: the slowest case we found for the fast search). The enumeration runs only while
 * its predicted time stays within the budget; when it runs, its winners are checked against the
 * fast search's.
 */
import { parseArgs } from 'node:util';
import { computeThresholds, computeWeights, findSubsetWinners, findSubsetWinnersReference, type WinnersInput } from '../src/scoring/index.ts';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Scenario {
  name: string;
  input: WinnersInput;
  miners: { uid: number; firstBlock: number | null; scores: Record<string, number> }[];
}

type ScenarioName = 'random' | 'uniform' | 'same-block';

function makeScenario(name: ScenarioName, minerCount: number, envCount: number, seed: number): Scenario {
  const rand = prng(seed * 1000 + envCount);
  const environments = Array.from({ length: envCount }, (_, i) => `family/env-${i}`);
  const miners = Array.from({ length: minerCount }, (_, uid) => {
    const skill = rand();
    const rate = () => (name === 'random' ? Math.min(1, Math.max(0, skill + (rand() - 0.5) * 0.6)) : rand());
    const scores = Object.fromEntries(environments.map((env) => [env, Math.round(rate() * 50) / 50]));
    const firstBlock = name === 'same-block' || rand() < 0.1 ? null : 1000 + Math.floor(rand() * 400);
    return { uid, firstBlock, scores };
  });
  const scores = new Map(miners.map((m) => [m.uid, new Map(Object.entries(m.scores))]));
  const input: WinnersInput = {
    uids: miners.map((m) => m.uid),
    environments,
    scores,
    thresholds: computeThresholds(scores, 50, { zScore: 1.5, minGap: 0.02, maxGap: 0.1 }),
    firstBlocks: new Map(miners.map((m) => [m.uid, m.firstBlock ?? 2 ** 32])),
  };
  return { name, input, miners };
}

function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default async function (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      miners: { type: 'string', default: '256' },
      envs: { type: 'string', default: '8,12,16' },
      runs: { type: 'string', default: '5' },
      'budget-s': { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
    },
  });
  const minerCount = Number(values.miners);
  const envCounts = values.envs!.split(',').map(Number);
  const runs = Number(values.runs);
  const budgetMs = Number(values['budget-s']) * 1000;
  const seed = Number(values.seed);

  console.log(
    `scoring bench: ${minerCount} miners, envs ${envCounts.join('/')}, ${runs} runs (median), enumeration budget ${budgetMs / 1000} s, node ${process.version}`,
  );
  console.log(
    `${'scenario'.padEnd(11)} ${'E'.padStart(2)} ${'subsets'.padStart(7)}  ${'fast ms'.padStart(8)}  ${'min–max'.padStart(13)}  ${'computeWeights ms'.padStart(17)}  ${'explain KiB'.padStart(11)}  ${'enumeration ms'.padStart(14)}  ${'ratio'.padStart(7)}`,
  );
  for (const scenarioName of ['random', 'uniform', 'same-block'] as const) {
    let lastReference: { envs: number; ms: number } | undefined;
    for (const envCount of envCounts) {
      const scenario = makeScenario(scenarioName, minerCount, envCount, seed);
      findSubsetWinners(scenario.input); // warm-up (JIT)
      const fastTimes = Array.from({ length: runs }, () => timeMs(() => findSubsetWinners(scenario.input)));
      let result: ReturnType<typeof computeWeights> | undefined;
      const fullTimes = Array.from({ length: runs }, () =>
        timeMs(() => {
          result = computeWeights({ environments: scenario.input.environments, episodesPerEnv: 50, miners: scenario.miners });
        }),
      );
      const explainKiB = Buffer.byteLength(JSON.stringify(result!.explanation)) / 1024;

      // Enumeration cost grows ~ E·2^E: predict from the last measured size before running it.
      const predicted = lastReference ? (lastReference.ms * (envCount * 2 ** envCount)) / (lastReference.envs * 2 ** lastReference.envs) : 0;
      let referenceCell = `skipped (~${(predicted / 1000).toFixed(0)} s)`;
      let ratioCell = '-';
      if (predicted <= budgetMs) {
        let reference: ReturnType<typeof findSubsetWinnersReference> | undefined;
        const ms = timeMs(() => {
          reference = findSubsetWinnersReference(scenario.input);
        });
        const fast = findSubsetWinners(scenario.input);
        const same = fast.winners.every((w, i) => w === reference!.winners[i]);
        if (!same) throw new Error(`${scenarioName} E=${envCount}: fast and enumeration winners differ`);
        lastReference = { envs: envCount, ms };
        referenceCell = `${ms.toFixed(0)} (same)`;
        ratioCell = `${(ms / median(fastTimes)).toFixed(0)}×`;
      }
      console.log(
        `${scenarioName.padEnd(11)} ${String(envCount).padStart(2)} ${String(2 ** envCount - 1).padStart(7)}  ${median(fastTimes).toFixed(1).padStart(8)}  ` +
          `${`${Math.min(...fastTimes).toFixed(1)}–${Math.max(...fastTimes).toFixed(1)}`.padStart(13)}  ${median(fullTimes).toFixed(1).padStart(17)}  ` +
          `${explainKiB.toFixed(1).padStart(11)}  ${referenceCell.padStart(14)}  ${ratioCell.padStart(7)}`,
      );
    }
  }
}
