/**
 * Why a miner won or lost its subsets, from the cycle's scoring explanation
 * (`src/scoring/explain.ts`). The explanation reaches us as opaque JSON over the API, so it is
 * parsed leniently: a shape we do not recognise is shown as compact JSON instead.
 */
import { z } from 'zod';
import { color, escapeTags, envShortName, formatNumber } from './format.ts';

const num = z.number();
const exampleSchema = z.object({
  envs: z.array(z.string()),
  points: num,
  beatEarlier: z.object({ uid: num, env: z.string(), margin: num }).nullish(),
  closestChallenger: z.object({ uid: num, env: z.string(), shortfall: num }).nullish(),
});
const minerSchema = z.object({
  uid: num,
  firstBlock: num.nullish(),
  priority: num.nullish(),
  points: num,
  weight: num.nullish(),
  subsetsWon: num,
  wonBySize: z.array(num).nullish(),
  envsWonAlone: z.array(z.string()).nullish(),
  examples: z.array(exampleSchema).nullish(),
});
const explanationSchema = z.object({
  environments: z.array(z.string()),
  subsets: num.nullish(),
  pointsAvailable: num.nullish(),
  unclaimed: z.object({ subsets: num, points: num }).nullish(),
  /** Newer explanations list only miners that won something and count the rest. */
  minersWithoutWins: num.nullish(),
  /** ε-Pareto frontier uids (informational), added by the cycle runner. */
  frontier: z.array(num).nullish(),
  miners: z.array(minerSchema),
});

export type ParsedExplanation = z.infer<typeof explanationSchema>;

export function parseExplanation(raw: unknown): ParsedExplanation | null {
  const r = explanationSchema.safeParse(raw);
  return r.success ? r.data : null;
}

const dimText = (text: string) => color('gray-fg', escapeTags(text));

/** A subset, readably: "{push+door-open}", "{all 8 envs}", "{all but reach, push}". */
export function subsetText(envs: readonly string[], all: readonly string[]): string {
  const missing = all.filter((e) => !envs.includes(e));
  if (all.length > 2 && missing.length === 0) return `{all ${all.length} envs}`;
  if (all.length > 3 && envs.length > all.length / 2 && missing.length <= 2) return `{all but ${missing.map(envShortName).join(', ')}}`;
  return `{${envs.map(envShortName).join('+')}}`;
}

/** Tagged lines explaining one miner's subsets; empty when the cycle has no explanation. */
export function explainMinerLines(raw: unknown, uid: number, maxJsonLines = 12): string[] {
  if (raw === null || raw === undefined) return [color('gray-fg', 'no scoring explanation stored for this cycle')];
  const ex = parseExplanation(raw);
  if (!ex) {
    // Unknown shape: show what concerns this miner if we can find it, else the whole thing, compactly.
    const json = JSON.stringify(raw, null, 1) ?? 'null';
    const lines = json.split('\n').map((l) => escapeTags(l.replace(/^ +/, (s) => '  '.repeat(s.length))));
    return [
      color('gray-fg', 'explanation (unrecognised format):'),
      ...lines.slice(0, maxJsonLines),
      ...(lines.length > maxJsonLines ? [color('gray-fg', `… ${lines.length - maxJsonLines} more lines`)] : []),
    ];
  }
  const found = ex.miners.find((m) => m.uid === uid);
  const out: string[] = [];
  const totalSubsets = ex.subsets ?? 2 ** ex.environments.length - 1;
  const candidates = ex.miners.length + (ex.minersWithoutWins ?? 0);
  if (!found && (ex.minersWithoutWins === null || ex.minersWithoutWins === undefined)) {
    // An explanation that lists every candidate, and this miner is not one of them.
    out.push(color('yellow-fg', `uid ${uid} was not among the scored candidates of this cycle`));
    return out;
  }
  // Absent from a winners-only explanation: a candidate that won nothing.
  const me = found ?? { uid, firstBlock: undefined, priority: undefined, points: 0, subsetsWon: 0, wonBySize: null, envsWonAlone: null, examples: null };
  const prio = me.priority !== null && me.priority !== undefined ? `priority #${me.priority + 1} of ${candidates}` : null;
  const block =
    me.firstBlock === undefined
      ? `one of ${candidates} candidates`
      : me.firstBlock !== null
        ? `first commit at block ${me.firstBlock}`
        : 'commit block unknown (ranks last)';
  out.push(escapeTags([block, prio].filter(Boolean).join(', ')));
  const share = ex.pointsAvailable ? ` of ${formatNumber(ex.pointsAvailable)} available` : '';
  out.push(
    `${color(me.subsetsWon > 0 ? 'green-fg' : 'red-fg', `won ${me.subsetsWon} of ${totalSubsets} subsets`)}, ${escapeTags(`${formatNumber(me.points)} points${share}`)}`,
  );
  if (ex.frontier)
    out.push(dimText(ex.frontier.includes(uid) ? '  on the ε-Pareto frontier (informational)' : '  not on the ε-Pareto frontier (informational)'));
  if (me.wonBySize && me.subsetsWon > 0) {
    const sizes = me.wonBySize.map((n, i) => (n > 0 ? `${n}×${i + 1}` : null)).filter(Boolean);
    out.push(escapeTags(`  by subset size (count×envs): ${sizes.join(' ')}`));
  }
  if (me.envsWonAlone && me.envsWonAlone.length > 0) out.push(escapeTags(`  won alone: ${me.envsWonAlone.map(envShortName).join(', ')}`));

  for (const e of me.examples ?? []) {
    out.push(escapeTags(`  won ${subsetText(e.envs, ex.environments)} for ${formatNumber(e.points)} pts`));
    if (e.beatEarlier) {
      out.push(
        escapeTags(`    cleared earlier uid ${e.beatEarlier.uid}'s threshold on ${envShortName(e.beatEarlier.env)} by ${formatNumber(e.beatEarlier.margin)}`),
      );
    } else out.push(escapeTags('    no earlier committer to beat'));
    if (e.closestChallenger) {
      out.push(
        escapeTags(
          `    closest challenger uid ${e.closestChallenger.uid} fell short by ${formatNumber(e.closestChallenger.shortfall)} on ${envShortName(e.closestChallenger.env)}`,
        ),
      );
    }
  }

  // Losses: other miners' worked examples in which this miner was the one beaten.
  const losses: string[] = [];
  for (const other of ex.miners) {
    if (other.uid === uid) continue;
    for (const e of other.examples ?? []) {
      if (e.closestChallenger?.uid === uid) {
        losses.push(
          `  lost ${subsetText(e.envs, ex.environments)} to uid ${other.uid}: needed ${formatNumber(e.closestChallenger.shortfall)} more on ${envShortName(e.closestChallenger.env)} to beat its threshold`,
        );
      }
      if (e.beatEarlier?.uid === uid) {
        losses.push(
          `  uid ${other.uid} took ${subsetText(e.envs, ex.environments)} though it committed later: it beat this miner's threshold on ${envShortName(e.beatEarlier.env)} by ${formatNumber(e.beatEarlier.margin)}`,
        );
      }
    }
  }
  if (losses.length > 0) out.push(color('yellow-fg', 'lost:'), ...losses.map(escapeTags));
  else if (me.subsetsWon === 0) {
    out.push(color('gray-fg', "  no subset won: in each one an earlier committer kept it, or a later miner beat this one's score + gap on every env of it"));
  }
  if (ex.unclaimed && ex.unclaimed.subsets > 0) {
    out.push(color('gray-fg', escapeTags(`(${ex.unclaimed.subsets} subsets, ${formatNumber(ex.unclaimed.points)} points went to nobody this cycle)`)));
  }
  return out;
}
