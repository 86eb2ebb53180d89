/** The dashboard's pure layers: text primitives, view model, log formatting, API normalisation, layout. */
import test from 'ava';
import fc from 'fast-check';
import {
  ASCII_GLYPHS,
  UNICODE_GLYPHS,
  abbreviate,
  bar,
  envHeaders,
  fit,
  fitSegments,
  formatAgo,
  formatDuration,
  formatRate,
  shortHotkey,
  stripTags,
  taggedWidth,
  textWidth,
  truncateTagged,
} from '../src/tui/format.ts';
import { cycleLines, footerLine, headerLines, historyLines, minerDetailLines, scoreTable, segmentedBar, weightsLines } from '../src/tui/view-model.ts';
import { explainMinerLines, subsetText } from '../src/tui/explain-view.ts';
import { formatLogChunk, formatLogLine } from '../src/tui/log-format.ts';
import { snapshotFromApi, type ApiBodies } from '../src/tui/api-snapshot.ts';
import { computeLayout } from '../src/tui/layout.ts';
import { ProgressTracker } from '../src/tui/progress.ts';
import { emptySnapshot, fakeCycle, sampleSnapshot } from '../src/tui/fake-source.ts';
import { computeWeights } from '../src/scoring/compute.ts';
import { ENV_IDS } from '../src/sim/registry.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const view = (width: number) => ({ width, nowMs: NOW, glyphs: UNICODE_GLYPHS });
const plain = (lines: string[]) => lines.map(stripTags);

// ── format ──

test('env headers stay within the column width and distinct, at every width', (t) => {
  for (let w = 3; w <= 14; w++) {
    const h = envHeaders(ENV_IDS, w);
    t.is(new Set(h).size, h.length, `distinct at width ${w}: ${h.join(' ')}`);
    for (const x of h) t.true(textWidth(x) <= w, `${x} fits ${w}`);
  }
  t.deepEqual(envHeaders(ENV_IDS, 12), ['reach', 'push', 'pick-place', 'door-open', 'drawer-open', 'drawer-close', 'button-press', 'peg-insert']);
  t.deepEqual(envHeaders(ENV_IDS, 7), ['reach', 'push', 'pck-plc', 'dr-open', 'drw-opn', 'drw-cls', 'btt-prs', 'pg-insr']);
  t.is(abbreviate('drawer-close', 5), 'dr-cl');
});

test('abbreviate never exceeds the width for arbitrary hyphenated names', (t) => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z]{1,9}$/), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 20 }), (words, w) => {
      const a = abbreviate(words.join('-'), w);
      return textWidth(a) <= w && a.length > 0;
    }),
  );
  t.pass();
});

test('fit, truncation and tagged widths', (t) => {
  t.is(fit('abc', 5), 'abc  ');
  t.is(fit('abc', 5, 'right'), '  abc');
  t.is(fit('abcdefgh', 5), 'abcd…');
  t.is(stripTags('{red-fg}a{/red-fg} {open}b{close}'), 'a {b}');
  const tagged = '{bold}cycle{/bold} {green-fg}completed{/green-fg} and more';
  const cut = truncateTagged(tagged, 12);
  t.is(taggedWidth(cut), 12);
  t.is(stripTags(cut), 'cycle compl…');
  t.is(shortHotkey('5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX', 11), '5F3sa…EYjQX');
  t.is(fitSegments([{ text: 'aaaa' }, { text: 'bbbb', priority: 2 }, { text: 'cccc', priority: 1 }], 10, ' '), 'aaaa cccc');
});

test('bars fill proportionally and always have the requested width', (t) => {
  fc.assert(
    fc.property(fc.double({ min: -1, max: 2, noNaN: true }), fc.integer({ min: 0, max: 80 }), (f, w) => {
      for (const g of [UNICODE_GLYPHS, ASCII_GLYPHS]) {
        const b = bar(f, w, g);
        if (textWidth(b.filled + b.rest) !== w) return false;
      }
      return true;
    }),
  );
  t.is(bar(0.5, 10, ASCII_GLYPHS).filled, '#####');
  t.is(bar(1, 4, UNICODE_GLYPHS).filled, '████');
  const seg = stripTags(segmentedBar({ total: 64, completed: 20, failed: 6, assigned: 8 }, 32, UNICODE_GLYPHS));
  t.is(textWidth(seg), 32);
  t.is([...seg].filter((c) => c === '█').length, 17, '34 of 64 tasks are done or running: 17 of 32 cells');
});

test('durations, ages and rates', (t) => {
  t.is(formatDuration(45), '45s');
  t.is(formatDuration(125), '2m05s');
  t.is(formatDuration(3 * 3600 + 120), '3h02m');
  t.is(formatDuration(null), 'n/a');
  t.is(formatAgo(new Date(NOW - 125_000).toISOString(), NOW), '2m ago');
  t.is(formatAgo(new Date(NOW + 30_000).toISOString(), NOW), 'in 30s');
  t.is(formatRate(0.853), '85%');
  t.is(formatRate(undefined), '·');
});

// ── view model ──

test('header shows chain, netuid, block, validator, executors and steps/s', (t) => {
  const [l1, l2] = plain(headerLines(sampleSnapshot(NOW), { ...view(160), title: 'kinitro' }));
  t.regex(l1!, /^kinitro 0\.1\.0 │ chain local netuid 2 block #1234 │ validator on 5F3sa…EYjQX set #1230 ok 2m ago/);
  t.regex(l2!, /executors 2 workers, 16 episodes, 1 remote │ 1\.2k steps\/s │ scheduler running, next .* \(\*\/5 \* \* \* \*\)/);
  for (const line of [l1!, l2!]) t.true(textWidth(line) <= 160);
});

test('header without the appliance extension says n/a instead of failing', (t) => {
  const [l1, l2] = plain(headerLines(emptySnapshot({ origin: 'http://x' }), { ...view(100), title: 'kinitro' }));
  t.is(l1, 'kinitro │ chain n/a │ validator n/a');
  t.is(l2, 'executors n/a │ n/a steps/s │ scheduler n/a │ http://x');
});

test('header drops low-priority parts to fit narrow terminals', (t) => {
  for (const width of [40, 60, 100]) {
    for (const line of plain(headerLines(sampleSnapshot(NOW), { ...view(width), title: 'kinitro' }))) t.true(textWidth(line) <= width, `${line} fits ${width}`);
  }
});

test('cycle panel: identity, progress by status, elapsed and ETA', (t) => {
  const lines = plain(cycleLines(sampleSnapshot(NOW), { ...view(120), rate: 0.5 }));
  t.regex(lines[0]!, /cycle #12 running · block 1120 · 4 miners × 8 envs × 2 ep\/env · started \S+ · elapsed 1m20s · ETA ~1m16s/);
  t.regex(lines[1]!, / 26\/64 40%$/);
  t.is(textWidth(lines[1]!), 120 - 2);
  t.is(lines[2], '✓ 20 ok · ✗ 6 failed · ▶ 8 assigned · 30 pending · 2 executors busy · 0.5 tasks/s');
  const idle = plain(cycleLines(sampleSnapshot(NOW, {}), { ...view(120), rate: null }).slice(0, 1));
  t.regex(idle[0]!, /ETA …/);
  const done = { ...sampleSnapshot(NOW), currentCycle: null, currentStats: null };
  t.regex(plain(cycleLines(done, { ...view(120), rate: null }))[0]!, /^idle · last cycle #11 completed 4m ago \(took 2m30s\) · next run/);
  t.regex(plain(cycleLines(emptySnapshot(), { ...view(120), rate: null }))[0]!, /no cycle has completed yet/);
  t.is(plain(cycleLines(emptySnapshot({ notice: 'starting the appliance…' }), { ...view(120), rate: null }))[0], 'starting the appliance…');
});

test('score table: abbreviated env headers, one row per miner with rates, points and weight', (t) => {
  const snap = sampleSnapshot(NOW);
  const table = scoreTable(snap, view(98));
  const header = stripTags(table.header);
  t.regex(header, /^uid hotkey +reach +push pck-plc dr-open drw-opn drw-cls btt-prs pg-insr points weight$/);
  t.true(textWidth(header) <= 98);
  t.deepEqual(
    table.rows.map((r) => r.uid),
    [3, 7, 12, 41],
  );
  const row3 = stripTags(table.rows[0]!.line);
  // uid 3: rates (21 + 13j) % 11 / 10 for j = 0..7 → 1.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0, 0.2
  t.regex(row3, /^ {2}3 5Hotke…x+ +100% +10% +30% +50% +70% +90% +0% +20% +40 +70\.0%$/);
  t.regex(table.rows[0]!.line, /\{green-fg\}\s*100%\{\/green-fg\}/, 'a high rate is green');
  t.regex(table.rows[0]!.line, /\{red-fg\}\s*10%\{\/red-fg\}/, 'a low rate is red');
  t.is(table.caption, 'scores · cycle #11 · block 1110');
  // Narrow: the hotkey column goes first, the env columns stay.
  const narrow = scoreTable(snap, view(60));
  t.false(stripTags(narrow.header).includes('hotkey'));
  t.is(envHeaderCount(narrow.header), 8);
});

test('score table marks spot-checked miners: verified, mismatch, unverifiable', (t) => {
  const snap = sampleSnapshot(NOW);
  snap.latest!.spotChecks = [
    { uid: 3, outcome: 'verified', reason: null },
    { uid: 7, outcome: 'mismatch', reason: 'differs' },
    { uid: 12, outcome: 'unverifiable', reason: 'no sandbox' },
  ];
  const table = scoreTable(snap, view(98));
  const starts = table.rows.map((r) => stripTags(r.line).slice(0, 4));
  t.deepEqual(starts, [` 3${UNICODE_GLYPHS.ok} `, ` 7${UNICODE_GLYPHS.fail} `, '12? ', '41  ']);
  t.regex(table.rows[0]!.line, /\{green-fg\}\S\{\/green-fg\}/, 'verified: the ok glyph');
  t.regex(table.rows[1]!.line, /\{red-fg\}\S\{\/red-fg\}/, 'mismatch: the fail glyph');
  t.true(textWidth(stripTags(table.header)) <= 98);
});

function envHeaderCount(header: string): number {
  return stripTags(header)
    .trim()
    .split(/\s+/)
    .filter((h) => !['uid', 'hotkey', 'points', 'weight'].includes(h)).length;
}

test('score table before the first completed cycle explains itself', (t) => {
  const snap = emptySnapshot({ currentCycle: fakeCycle(1), environments: [...ENV_IDS] });
  const table = scoreTable(snap, view(98));
  t.deepEqual(table.rows, []);
  t.is(stripTags(table.note!), 'no completed cycle yet — cycle #1 is running');
  t.is(envHeaderCount(table.header), 8, 'the registry still gives the columns');
});

test('weights: bars by descending weight with u16 values and the last chain submission', (t) => {
  const lines = plain(weightsLines(sampleSnapshot(NOW), view(50)));
  t.is(lines[0], 'chain #1230 ok 2m ago · 4 uids');
  t.is(lines[1], 'computed cycle #11 · block 1110 · 4m ago');
  t.regex(lines[2]!, /^uid share +weight +u16$/);
  t.regex(lines[3]!, /^ {2}3 █+ +70\.0% 45875$/);
  t.regex(lines[4]!, /^ {2}7 █+[▏▎▍▌▋▊▉]?░+ +10\.0% +655[34]$/);
  t.deepEqual(
    lines.slice(3).map((l) => Number(l.trim().split(' ')[0])),
    [3, 7, 12, 41],
  );
  for (const l of lines) t.true(textWidth(l) <= 50);
  const none = plain(weightsLines(emptySnapshot(), view(50)));
  t.deepEqual(none, ['chain submission n/a', 'no weights computed yet']);
});

test('history: outcome, duration and the reason of a failed cycle', (t) => {
  const lines = plain(historyLines(sampleSnapshot(NOW), view(60)));
  t.regex(lines[0]!, /^#12 ▶ running +1120 +1m20s 4m×8e/);
  t.regex(lines[1]!, /^#11 ✓ completed +1110 +2m30s 4m×8e/);
  t.regex(lines[2]!, /^#10 ✗ failed +1100 +0s/);
  t.is(lines[3]!.trim(), 'no miners discovered');
  const narrow = plain(historyLines(sampleSnapshot(NOW), view(24)));
  for (const l of narrow) t.true(textWidth(l) <= 24);
});

test('miner details: per-env scores, subsets won and lost, recent errors', (t) => {
  const miners = [3, 7, 12].map((uid, k) => ({
    uid,
    firstBlock: 400 + k,
    scores: Object.fromEntries(ENV_IDS.map((e, j) => [e, ((uid * 7 + j * 13) % 11) / 10])),
  }));
  const res = computeWeights({ environments: [...ENV_IDS], episodesPerEnv: 2, miners });
  const snap = sampleSnapshot(NOW, {
    uids: [3, 7, 12],
    points: Object.fromEntries(Object.entries(res.points)),
    weights: Object.fromEntries(Object.entries(res.weights)),
    weightsU16: res.weightsU16,
    explanation: JSON.parse(JSON.stringify(res.explanation)),
  });
  const lines = plain(minerDetailLines(snap, 7, view(110)));
  const text = lines.join('\n');
  t.regex(lines[0]!, /^miner uid 7 {2}5Hotkey7x+$/);
  t.regex(text, /points 20 {2}weight 0\.00% {2}u16 0/);
  t.regex(text, /push +70% +3\.25 +2 +0/);
  t.regex(text, /first commit at block 401, priority #2 of 3/);
  t.regex(text, /won 8 of 255 subsets, 20 points of 1024 available/);
  t.regex(text, /won alone: pick-place/);
  t.regex(text, /cleared earlier uid 3's threshold on push by 0\.5/);
  t.regex(text, /recent errors \(1\)\n.*#12 push ep 1: Miner action timeout at step 4/);
  for (const l of lines) t.true(textWidth(l) <= 110);
  // uid 3 lost some subsets to later miners.
  t.regex(
    plain(minerDetailLines(snap, 3, view(140))).join('\n'),
    /lost:\n.*uid 7 took \{.*\} though it committed later: it beat this miner's threshold on push by 0\.5/,
  );
});

test('miner details: a miner that won nothing is absent from the explanation; episodes without errors are not errors', (t) => {
  const miners = [3, 7, 99].map((uid, k) => ({
    uid,
    firstBlock: 400 + k,
    scores: Object.fromEntries(ENV_IDS.map((e, j) => [e, uid === 99 ? 0 : ((uid * 7 + j * 13) % 11) / 10])),
  }));
  const res = computeWeights({ environments: [...ENV_IDS], episodesPerEnv: 2, miners });
  const explanation = { frontier: res.frontier, ...JSON.parse(JSON.stringify(res.explanation)) };
  t.false(
    explanation.miners.some((m: { uid: number }) => m.uid === 99),
    'precondition: winners-only explanation',
  );
  const snap = sampleSnapshot(NOW, { uids: [3, 7, 99], explanation, points: Object.fromEntries(Object.entries(res.points)) });
  snap.currentFailures.push({ taskUuid: 'f-2', cycleId: 12, minerUid: 99, envId: 'metaworld/reach-v3', episodeIndex: 0, error: null, completedAt: null });
  const text = plain(minerDetailLines(snap, 99, view(140))).join('\n');
  t.regex(text, /one of 3 candidates/);
  t.regex(text, /won 0 of 255 subsets, 0 points of 1024 available/);
  t.regex(text, /not on the ε-Pareto frontier/);
  t.regex(text, /no subset won|lost:/);
  t.regex(text, /recent errors\n +none in the running or latest completed cycle/);
  t.regex(plain(minerDetailLines(snap, 3, view(140))).join('\n'), /first commit at block 400, priority #1 of 3/);
});

test('an explanation in an unknown shape is shown as JSON, a missing one says so', (t) => {
  const odd = plain(explainMinerLines({ winners: { '1': ['metaworld/reach-v3'] } }, 1));
  t.is(odd[0], 'explanation (unrecognised format):');
  t.true(odd.some((l) => l.includes('"metaworld/reach-v3"')));
  t.deepEqual(plain(explainMinerLines(null, 1)), ['no scoring explanation stored for this cycle']);
  t.is(subsetText([...ENV_IDS], ENV_IDS), '{all 8 envs}');
  t.is(subsetText(ENV_IDS.slice(1), ENV_IDS), '{all but reach}');
  t.is(subsetText(['metaworld/push-v3', 'metaworld/door-open-v3'], ENV_IDS), '{push+door-open}');
});

test('footer: keys, freshness and errors', (t) => {
  const base = { ...view(120), detailOpen: false, warnings: [] };
  t.regex(stripTags(footerLine({ ...base, updatedAt: NOW - 3000, error: null })), /q quit · tab panel · ↑↓ scroll · enter miner details +│ updated 3s ago/);
  t.regex(
    stripTags(footerLine({ ...base, updatedAt: NOW - 60_000, error: '/v1/status: ECONNREFUSED' })),
    /\/v1\/status: ECONNREFUSED \(showing data from 1m ago\)/,
  );
  t.regex(stripTags(footerLine({ ...base, updatedAt: null, error: null })), /connecting…/);
  t.regex(stripTags(footerLine({ ...base, detailOpen: true, updatedAt: NOW, error: null })), /esc close/);
});

// ── logs ──

test('pino lines become compact coloured lines; other text is kept', (t) => {
  const time = Date.parse('2026-03-01T12:34:56Z');
  const f = formatLogLine(
    JSON.stringify({
      level: 50,
      time,
      component: 'executor',
      msg: 'episode failed',
      uid: 7,
      err: { type: 'Error', message: 'boom {x}', stack: 'Error: boom\n at x' },
    }),
  )!;
  t.is(f.level, 50);
  t.regex(f.text, /\{red-fg\}ERR\{\/red-fg\}/);
  t.regex(stripTags(f.text), /^\d\d:\d\d:\d\d ERR executor episode failed uid=7 err="Error: boom \{x\}"$/);
  t.false(f.text.includes('at x'), 'no stack traces in the pane');
  const iso = formatLogLine(JSON.stringify({ level: 30, time: '2026-03-01T12:00:00.000Z', msg: 'hello', path: '/v1/status' }))!;
  t.regex(stripTags(iso.text), /^\d\d:\d\d:\d\d INF hello path=\/v1\/status$/);
  t.is(stripTags(formatLogLine('not json {really}', NOW)!.text).slice(9), 'not json {really}');
  t.is(formatLogLine('   '), null);
  t.is(formatLogChunk('{"level":40,"msg":"a"}\n{"level":30,"msg":"b"}\n').length, 2);
  t.regex(formatLogLine('{"level":"warn","msg":"named level"}')!.text, /WRN/);
});

// ── API normalisation ──

function bodies(over: Partial<ApiBodies>): ApiBodies {
  return {
    origin: 'http://x',
    takenAt: new Date(NOW).toISOString(),
    status: { current_cycle: null, last_completed_cycle: null, total_cycles: 0, environments: [...ENV_IDS] },
    appliance: null,
    currentStats: null,
    currentFailedTasks: null,
    weights: null,
    cycles: null,
    environments: null,
    latestScores: null,
    latestDetail: null,
    latestFailedTasks: null,
    ...over,
  };
}

test('API bodies: empty server, partial appliance extension, bad shapes become warnings', (t) => {
  const empty = snapshotFromApi(bodies({}));
  t.is(empty.currentCycle, null);
  t.is(empty.latest, null);
  t.deepEqual(empty.environments, [...ENV_IDS]);
  t.deepEqual(empty.warnings, []);

  const partial = snapshotFromApi(bodies({ appliance: { version: '0.2.0', chain: { mode: 'subtensor', netuid: 7 } } }));
  t.is(partial.appliance?.version, '0.2.0');
  t.like(partial.appliance?.chain, { mode: 'subtensor', netuid: 7, block: null, endpoint: null });
  t.is(partial.appliance?.validator, null);

  const bad = snapshotFromApi(bodies({ weights: { cycle_id: 'x' }, cycles: [1, 2] }));
  t.is(bad.weights, null);
  t.deepEqual(bad.cycles, []);
  t.deepEqual(bad.warnings, ['/v1/weights/latest: unexpected response shape', '/v1/cycles: unexpected response shape']);
});

test('API bodies: an appliance section in an unexpected shape blanks only that section', (t) => {
  const s = snapshotFromApi(
    bodies({
      appliance: {
        version: '0.1.0',
        chain: { mode: 'local', netuid: 'two' },
        validator: { enabled: true, hotkey: '5X', last_submission: 'set at 12' },
        executors: { in_process_workers: 2, active_episodes: 1, steps_per_second: 99.5, remote_executors: 0 },
      },
    }),
  );
  t.is(s.appliance?.chain, null);
  t.like(s.appliance?.validator, { enabled: true, hotkey: '5X', lastSubmission: null });
  t.is(s.appliance?.executors?.stepsPerSecond, 99.5);
  t.deepEqual(s.warnings, ['/v1/appliance chain: unexpected response shape', '/v1/appliance validator.last_submission: unexpected response shape']);
});

test("API bodies: stats of another cycle are not shown as the current cycle's", (t) => {
  const cycle = {
    id: 5,
    block_number: 9,
    started_at: '2026-01-01T00:00:00Z',
    completed_at: null,
    status: 'running',
    n_miners: 2,
    n_environments: 8,
    duration_seconds: null,
  };
  const stats = { total_tasks: 10, pending_tasks: 5, assigned_tasks: 1, completed_tasks: 3, failed_tasks: 1, active_executors: 1, current_cycle_id: 4 };
  const s = snapshotFromApi(bodies({ status: { current_cycle: cycle, last_completed_cycle: null, total_cycles: 1 }, currentStats: stats }));
  t.is(s.currentCycle?.id, 5);
  t.is(s.currentStats, null);
  const ok = snapshotFromApi(bodies({ status: { current_cycle: cycle, total_cycles: 1 }, currentStats: { ...stats, current_cycle_id: 5 } }));
  t.like(ok.currentStats, { total: 10, completed: 3, failed: 1, cycleId: 5 });
});

test('API bodies: the cycle estimate extension of /v1/status is shown for its cycle, red when it will time out', (t) => {
  const cycle = {
    id: 12,
    block_number: 1120,
    started_at: new Date(NOW - 80_000).toISOString(),
    completed_at: null,
    status: 'running',
    n_miners: 4,
    n_environments: 8,
    duration_seconds: null,
  };
  const estimate = {
    cycle_id: 12,
    phase: 'running',
    estimated_seconds: 9000,
    remaining_seconds: 8920,
    timeout_seconds: 7200,
    fits: false,
    bottleneck: 'miner',
  };
  const s = snapshotFromApi(bodies({ status: { current_cycle: cycle, total_cycles: 1, cycle_estimate: estimate } }));
  t.like(s.cycleEstimate, { cycleId: 12, estimatedSeconds: 9000, timeoutSeconds: 7200, fits: false, bottleneck: 'miner' });
  const line = plain(cycleLines(s, { ...view(200), rate: null }))[0]!;
  t.regex(line, /model ~2h30m of 2h00m: WILL TIME OUT \(miner\)/);
  t.true(cycleLines(s, { ...view(200), rate: null })[0]!.includes('{red-fg}'));
  const fits = snapshotFromApi(bodies({ status: { current_cycle: cycle, cycle_estimate: { ...estimate, estimated_seconds: 600, fits: true } } }));
  t.regex(plain(cycleLines(fits, { ...view(200), rate: null }))[0]!, /model ~10m00s of 2h00m$/);
  // Another cycle's estimate, or one in an unexpected shape, is not shown (and the status still is).
  t.is(snapshotFromApi(bodies({ status: { current_cycle: cycle, cycle_estimate: { ...estimate, cycle_id: 11 } } })).cycleEstimate, null);
  const odd = snapshotFromApi(bodies({ status: { current_cycle: cycle, cycle_estimate: { cycle_id: 'x' } } }));
  t.is(odd.cycleEstimate, null);
  t.is(odd.currentCycle?.id, 12);
});

// ── layout and progress ──

test('layout tiles the terminal without overlaps at common sizes', (t) => {
  for (const [cols, rows] of [
    [100, 30],
    [160, 48],
    [80, 24],
    [220, 60],
  ] as const) {
    const L = computeLayout(cols, rows, 6);
    const panels = [L.header, L.cycle, L.table, L.weights, L.history, L.log, L.footer];
    const grid = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
    for (const p of panels) {
      t.true(p.width > 0 && p.height > 0);
      for (let y = p.top; y < p.top + p.height; y++) for (let x = p.left; x < p.left + p.width; x++) grid[y]![x]!++;
    }
    t.true(
      grid.every((row) => row.every((n) => n === 1)),
      `${cols}x${rows}: every cell covered exactly once`,
    );
    t.is(L.wide, cols >= 140);
  }
});

test('progress tracker: windowed rate, fallback to since-start, reset on a new cycle', (t) => {
  const p = new ProgressTracker(60_000);
  p.observe(1, 0, 10, 10_000);
  t.is(p.rate(1), 1, '10 tasks in the first 10 s');
  p.observe(1, 0, 10, 12_000);
  t.is(p.rate(1), 10 / 12, 'a 2 s window is too short: since the start');
  p.observe(1, 0, 10, 20_000);
  t.is(p.rate(1), 0, 'no progress for 10 s is a stall');
  t.is(p.eta(1, 30), null);
  p.observe(1, 0, 40, 30_000);
  t.is(p.rate(1), 30 / 20);
  t.is(p.eta(1, 30), 20);
  for (let s = 40; s <= 200; s += 10) p.observe(1, 0, 40 + (s - 30) * 2, s * 1000);
  t.is(p.rate(1), 2, 'the window forgets the slow start');
  p.observe(2, 200_000, 0, 200_500);
  t.is(p.rate(1), null);
  t.is(p.rate(2), null);
  t.is(p.eta(2, 0), 0);
});
