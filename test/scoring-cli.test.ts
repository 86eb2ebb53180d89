import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './helpers/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-score-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeInput(name: string, body: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
}

const GOOD = {
  environments: ['metaworld/reach-v3', 'metaworld/push-v3'],
  episodes_per_env: 50,
  miners: [
    { uid: 0, first_block: 1000, scores: { 'metaworld/reach-v3': 0.5, 'metaworld/push-v3': 0.5 } },
    { uid: 7, first_block: 1200, scores: { 'metaworld/reach-v3': 0.9, 'metaworld/push-v3': 0.1 } },
    { uid: 3, first_block: null, scores: { 'metaworld/reach-v3': 0.5 } },
  ],
};

test('score --json prints points, weights, u16 weights, frontier and epsilons', async (t) => {
  const res = await runCli(['score', '--input', writeInput('good.json', GOOD), '--json']);
  t.is(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout) as Record<string, unknown>;
  t.deepEqual(Object.keys(out), ['points', 'weights', 'weights_u16', 'frontier', 'epsilons']);
  // uid 7 takes {reach} (0.9 > 0.6); uid 0 keeps {push} and {reach, push}; uid 3 copies uid 0 on reach.
  t.deepEqual(out.points, { '0': 3, '3': 0, '7': 1 });
  const weights = out.weights as Record<string, number>;
  t.true(Math.abs(weights['0']! - Math.exp(3) / (Math.exp(3) + Math.exp(1) + 1)) < 1e-12);
  const u16 = out.weights_u16 as { uids: number[]; values: number[] };
  t.deepEqual(u16.uids, [0, 3, 7]);
  t.is(
    u16.values.reduce((a, b) => a + b, 0),
    65535,
  );
  t.deepEqual(out.frontier, [0, 7]);
  t.deepEqual(Object.keys(out.epsilons as object), GOOD.environments);
});

test('score --json --explain adds the explanation; the table mode prints one row per miner', async (t) => {
  const file = writeInput('explain.json', { ...GOOD, params: { temperature: 2, subset_weight: 'equal' } });
  const explained = await runCli(['score', '--input', file, '--json', '--explain']);
  t.is(explained.code, 0, explained.stderr);
  const out = JSON.parse(explained.stdout) as {
    points: Record<string, number>;
    explanation: { subsetWeight: string; miners: { uid: number; envsWonAlone: string[] }[] };
  };
  t.deepEqual(out.points, { '0': 2, '3': 0, '7': 1 });
  t.is(out.explanation.subsetWeight, 'equal');
  t.deepEqual(out.explanation.miners.find((m) => m.uid === 7)!.envsWonAlone, ['metaworld/reach-v3']);

  const table = await runCli(['score', '--input', file]);
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /uid\s+first_block\s+points\s+weight\s+u16/);
  t.regex(table.stdout, /^\s+7\s+1200\s+1\s+0\.\d{6}\s+\d+\s+1\s+\*$/m);
  t.regex(table.stdout, /^\s+3\s+-\s+0\s/m);
});

test('score rejects bad input with a clear message and exit code 2', async (t) => {
  const dup = await runCli([
    'score',
    '--input',
    writeInput('dup.json', { ...GOOD, miners: [...GOOD.miners, { uid: 7, first_block: 5, scores: {} }] }),
    '--json',
  ]);
  t.is(dup.code, 2);
  t.is(dup.stdout, '');
  t.regex(dup.stderr, /input\.miners\[3\]\.uid: duplicate uid 7 \(also miners\[1\]\)/);

  const bad = await runCli([
    'score',
    '--input',
    writeInput('bad.json', {
      environments: ['x'],
      episodes_per_env: '50',
      miners: [{ uid: 1, first_block: 3, scores: { x: 1.5 }, hotkey: 'hk' }],
      params: { temperature: 0 },
    }),
  ]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /input\.episodes_per_env: .*expected number/);
  t.regex(bad.stderr, /input\.miners\[0\]\.scores\.x: .*<=1/);
  t.regex(bad.stderr, /input\.miners\[0\]: Unrecognized key: "hotkey"/);
  t.regex(bad.stderr, /input\.params\.temperature: .*>0/);

  const notJson = await runCli(['score', '--input', writeInput('broken.json', '{"environments": [')]);
  t.is(notJson.code, 2);
  t.regex(notJson.stderr, /is not valid JSON/);
});
