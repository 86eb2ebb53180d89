/** `kinitro score`: runs the scoring pipeline on a JSON file of per-env success rates. */
import fs from 'node:fs';
import { z } from 'zod';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { computeWeights, DEFAULT_SCORING_PARAMS, MAX_ENVIRONMENTS, type ComputeWeightsResult } from '../../scoring/index.ts';

const ParamsSchema = z
  .strictObject({
    temperature: z.number().positive().default(DEFAULT_SCORING_PARAMS.temperature),
    z_score: z.number().min(0).default(DEFAULT_SCORING_PARAMS.zScore),
    min_gap: z.number().min(0).default(DEFAULT_SCORING_PARAMS.minGap),
    max_gap: z.number().min(0).default(DEFAULT_SCORING_PARAMS.maxGap),
    subset_weight: z.enum(['linear', 'exponential', 'equal']).default(DEFAULT_SCORING_PARAMS.subsetWeight),
  })
  .refine((p) => p.min_gap <= p.max_gap, { message: 'min_gap must not exceed max_gap', path: ['min_gap'] });

const MinerSchema = z.strictObject({
  uid: z.number().int().min(0).max(65535),
  first_block: z.number().int().min(0).nullable(),
  scores: z.record(z.string(), z.number().min(0).max(1)),
});

export const ScoreInputSchema = z
  .strictObject({
    environments: z.array(z.string().min(1)).max(MAX_ENVIRONMENTS),
    episodes_per_env: z.number().int().min(0),
    miners: z.array(MinerSchema),
    params: ParamsSchema.optional(),
  })
  .superRefine((input, ctx) => {
    const envs = new Set<string>();
    input.environments.forEach((env, i) => {
      if (envs.has(env)) ctx.addIssue({ code: 'custom', path: ['environments', i], message: `duplicate environment ${JSON.stringify(env)}` });
      envs.add(env);
    });
    const uids = new Map<number, number>();
    input.miners.forEach((miner, i) => {
      const first = uids.get(miner.uid);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['miners', i, 'uid'], message: `duplicate uid ${miner.uid} (also miners[${first}])` });
      else uids.set(miner.uid, i);
      for (const env of Object.keys(miner.scores)) {
        if (!envs.has(env)) ctx.addIssue({ code: 'custom', path: ['miners', i, 'scores', env], message: 'not one of "environments"' });
      }
    });
  });

export type ScoreInput = z.infer<typeof ScoreInputSchema>;

function formatPath(path: readonly PropertyKey[]): string {
  let out = 'input';
  for (const key of path)
    out += typeof key === 'number' ? `[${key}]` : /^[A-Za-z_]\w*$/.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(String(key))}]`;
  return out;
}

/** Reads and validates the input file; every problem is a CliUsageError naming the offending field. */
export function readScoreInput(file: string): ScoreInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliUsageError(`cannot read --input ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliUsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ScoreInputSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 20).map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
    if (parsed.error.issues.length > 20) lines.push(`  … and ${parsed.error.issues.length - 20} more`);
    throw new CliUsageError(`invalid scoring input in ${file}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function scoreInputToResult(input: ScoreInput): ComputeWeightsResult {
  const p = input.params ?? ParamsSchema.parse({});
  return computeWeights({
    environments: input.environments,
    episodesPerEnv: input.episodes_per_env,
    miners: input.miners.map((m) => ({ uid: m.uid, firstBlock: m.first_block, scores: m.scores })),
    params: { temperature: p.temperature, zScore: p.z_score, minGap: p.min_gap, maxGap: p.max_gap, subsetWeight: p.subset_weight },
  });
}

function renderTable(input: ScoreInput, result: ComputeWeightsResult, explain: boolean): string {
  const { params, explanation } = result;
  const frontier = new Set(result.frontier);
  const u16 = new Map(result.weightsU16.uids.map((uid, i) => [uid, result.weightsU16.values[i]!]));
  const lines = [
    `${input.miners.length} miners × ${input.environments.length} environments, ${input.episodes_per_env} episodes per env; ` +
      `subset weight ${params.subsetWeight}, temperature ${params.temperature}, z ${params.zScore}, gap [${params.minGap}, ${params.maxGap}]`,
    '',
    `${'uid'.padStart(5)}  ${'first_block'.padStart(11)}  ${'points'.padStart(9)}  ${'weight'.padStart(9)}  ${'u16'.padStart(5)}  ${'subsets'.padStart(7)}  pareto`,
  ];
  const won = new Map(explanation.miners.map((m) => [m.uid, m.subsetsWon]));
  for (const miner of [...input.miners].sort((a, b) => a.uid - b.uid)) {
    const uid = miner.uid;
    lines.push(
      `${String(uid).padStart(5)}  ${(miner.first_block === null ? '-' : String(miner.first_block)).padStart(11)}  ${String(result.points[uid]).padStart(9)}  ` +
        `${result.weights[uid]!.toFixed(6).padStart(9)}  ${String(u16.get(uid) ?? 0).padStart(5)}  ${String(won.get(uid) ?? 0).padStart(7)}  ${frontier.has(uid) ? '*' : ''}`,
    );
  }
  lines.push(
    '',
    `points awarded ${explanation.pointsAvailable - explanation.unclaimed.points} of ${explanation.pointsAvailable}; ` +
      `subsets without a winner: ${explanation.unclaimed.subsets} of ${explanation.subsets}`,
  );
  lines.push(
    `epsilon: ${
      Object.entries(result.epsilons)
        .map(([env, e]) => `${env}=${e.toFixed(4)}`)
        .join('  ') || '-'
    }`,
  );
  if (explain) {
    for (const m of explanation.miners) {
      lines.push('', `uid ${m.uid}: won ${m.subsetsWon} subsets (by size ${m.wonBySize.join('/')}); alone: ${m.envsWonAlone.join(', ') || '-'}`);
      for (const ex of m.examples) {
        const earlier = ex.beatEarlier
          ? `cleared uid ${ex.beatEarlier.uid} on ${ex.beatEarlier.env} by ${ex.beatEarlier.margin.toFixed(4)}`
          : 'no earlier committer';
        const challenger = ex.closestChallenger
          ? `uid ${ex.closestChallenger.uid} fell short on ${ex.closestChallenger.env} by ${ex.closestChallenger.shortfall.toFixed(4)}`
          : 'no challenger';
        lines.push(`  {${ex.envs.join(', ')}} +${ex.points}: ${earlier}; ${challenger}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

export const scoreCommand = defineCommand({
  path: ['score'],
  summary: 'Compute points, weights and u16 chain weights from a JSON file of per-env success rates.',
  description:
    'Input: {"environments": [...], "episodes_per_env": 50, "miners": [{"uid": 0, "first_block": 1000, "scores": {"env": 0.8}}],\n' +
    '"params": {"temperature": 1.0, "z_score": 1.5, "min_gap": 0.02, "max_gap": 0.10, "subset_weight": "linear"}} (params optional).',
  options: {
    input: opt.string('Scoring input JSON file', { required: true, env: false, placeholder: 'FILE' }),
    json: opt.flag('Print JSON', { env: false }),
    explain: opt.flag('Include which subsets each miner won and the deciding margins', { env: false }),
  },
  async run({ options, stdout }) {
    const input = readScoreInput(options.input);
    const result = scoreInputToResult(input);
    if (options.json) {
      const out: Record<string, unknown> = {
        points: result.points,
        weights: result.weights,
        weights_u16: result.weightsU16,
        frontier: result.frontier,
        epsilons: result.epsilons,
      };
      if (options.explain) out.explanation = result.explanation;
      stdout.write(JSON.stringify(out) + '\n');
    } else {
      stdout.write(renderTable(input, result, options.explain));
    }
    return 0;
  },
});
