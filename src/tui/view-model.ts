/**
 * The pure view layer: snapshot (+ wall clock, width) → tagged text lines for each panel. The
 * blessed widgets only place these strings; everything a test wants to check about what is shown
 * can be checked here without a terminal. What the panels share is in view-common.ts; the
 * miners × environments table is score-table.ts.
 */
import type { DashboardSnapshot, FailedTask, MinerEnvScore } from './types.ts';
import {
  bar,
  cell,
  color,
  envShortName,
  escapeTags,
  fit,
  fitSegments,
  formatAgo,
  formatCount,
  formatDuration,
  formatNumber,
  formatRate,
  parseTime,
  shortHotkey,
  shortTimestamp,
  taggedWidth,
  truncate,
  truncateTagged,
  type Glyphs,
} from './format.ts';
import { type ViewOptions, dim, submissionOk, statusTag, statusGlyph, rateTag } from './view-common.ts';
import { explainMinerLines } from './explain-view.ts';

import { minerRows } from './score-table.ts';
export { rateTag, statusTag, submissionOk, type ViewOptions } from './view-common.ts';
export { minerRows, scoreTable, tableEnvironments, type MinerRow, type ScoreTableView } from './score-table.ts';
// ── header ────────────────────────────────────────────────────────────────────────────────────

export function headerLines(snap: DashboardSnapshot | null, o: ViewOptions & { title: string }): [string, string] {
  const g = o.glyphs;
  const sep = dim(` ${g.sep} `);
  const a = snap?.appliance ?? null;
  const title = color('bold', escapeTags(a?.version ? `${o.title} ${a.version}` : o.title));

  const chain = a?.chain;
  const chainText = chain
    ? `chain ${color('bold', escapeTags(chain.mode ?? '?'))} netuid ${chain.netuid ?? dim('n/a')} block ${chain.block !== null ? color('bold', `#${chain.block}`) : dim('n/a')}`
    : `chain ${dim('n/a')}`;
  const endpoint = chain?.endpoint ? dim(escapeTags(chain.endpoint)) : null;

  let validator: string;
  const v = a?.validator;
  if (!v) validator = `validator ${dim('n/a')}`;
  else if (!v.enabled) validator = `validator ${dim('off')}`;
  else {
    const sub = v.lastSubmission;
    const who = v.hotkey ? ` ${escapeTags(shortHotkey(v.hotkey, 11, g.ellipsis))}` : '';
    if (!sub) validator = `validator ${color('green-fg', 'on')}${who} ${dim('no submission yet')}`;
    else {
      const outcome = color(submissionOk(sub) ? 'green-fg' : 'red-fg', escapeTags(sub.outcome ?? 'unknown'));
      validator = `validator ${color('green-fg', 'on')}${who} set ${sub.block !== null ? `#${sub.block} ` : ''}${outcome} ${dim(formatAgo(sub.at, o.nowMs))}`;
    }
  }
  const line1 = fitSegments(
    [{ text: title }, { text: chainText }, { text: validator, priority: 1 }, ...(endpoint ? [{ text: endpoint, priority: 2 }] : [])],
    o.width,
    sep,
  );

  const e = a?.executors;
  const exec = e
    ? `executors ${e.inProcessWorkers ?? '?'} workers, ${e.activeEpisodes ?? '?'} episodes${e.remoteExecutors ? `, ${e.remoteExecutors} remote` : ''}`
    : `executors ${dim('n/a')}`;
  const sps = `${e?.stepsPerSecond !== null && e?.stepsPerSecond !== undefined ? color('bold', formatCount(e.stepsPerSecond)) : dim('n/a')} steps/s`;
  const s = a?.scheduler;
  const sched = s
    ? `scheduler ${s.running ? color('yellow-fg', 'running') : 'idle'}${s.nextRun ? `, next ${shortTimestamp(s.nextRun, o.nowMs)}` : ''}${s.cron ? dim(` (${escapeTags(s.cron)})`) : ''}`
    : `scheduler ${dim('n/a')}`;
  const origin = snap ? dim(escapeTags(snap.origin)) : dim('connecting…');
  const line2 = fitSegments([{ text: exec }, { text: sps }, { text: sched, priority: 1 }, { text: origin, priority: 2 }], o.width, sep);
  return [line1, line2];
}

// ── current cycle ─────────────────────────────────────────────────────────────────────────────

export interface CycleViewOptions extends ViewOptions {
  /** Tasks finished per second (from ProgressTracker), or null. */
  rate: number | null;
}

/** Three lines: what the cycle is, a progress bar by task status, and rates. */
export function cycleLines(snap: DashboardSnapshot | null, o: CycleViewOptions): string[] {
  const g = o.glyphs;
  const sep = dim(` ${g.dot} `);
  if (!snap) return [dim('waiting for the first snapshot…'), '', ''];
  const c = snap.currentCycle;
  if (!c && snap.notice) return [color('yellow-fg', escapeTags(snap.notice)), '', ''];
  if (!c) {
    const last = snap.lastCompletedCycle;
    const next = snap.appliance?.scheduler?.nextRun;
    const idle = [
      { text: color('bold', 'idle') },
      last
        ? {
            text: `last cycle #${last.id} ${color('green-fg', 'completed')} ${formatAgo(last.completedAt, o.nowMs)} (took ${formatDuration(last.durationSeconds)})`,
          }
        : { text: dim('no cycle has completed yet') },
      ...(next ? [{ text: `next run ${shortTimestamp(next, o.nowMs)} (${formatAgo(next, o.nowMs)})`, priority: 1 }] : []),
    ];
    return [fitSegments(idle, o.width, sep), '', ''];
  }

  const started = parseTime(c.startedAt);
  const elapsed = started === null ? null : (o.nowMs - started) / 1000;
  const st = snap.currentStats;
  const done = st ? st.completed + st.failed : 0;
  const remaining = st ? Math.max(0, st.total - done) : 0;
  const eta = st && o.rate && o.rate > 0 ? remaining / o.rate : st && remaining === 0 && st.total > 0 ? 0 : null;
  const shape = [
    c.nMiners !== null ? `${c.nMiners} miners` : null,
    c.nEnvironments !== null ? `${c.nEnvironments} envs` : null,
    c.episodesPerEnv !== null ? `${c.episodesPerEnv} ep/env` : null,
  ]
    .filter(Boolean)
    .join(' × ');
  const line1 = fitSegments(
    [
      { text: `${color('bold', `cycle #${c.id}`)} ${color(statusTag(c.status), escapeTags(c.status))}` },
      { text: `block ${c.blockNumber}` },
      { text: escapeTags(shape), priority: 2 },
      { text: `started ${shortTimestamp(c.startedAt, o.nowMs)}`, priority: 3 },
      { text: `elapsed ${color('bold', formatDuration(elapsed))}` },
      { text: `ETA ${color('bold', eta === null ? '…' : `~${formatDuration(eta)}`)}` },
      ...estimateSegment(snap, c.id),
    ],
    o.width,
    sep,
  );

  if (!st) return [line1, dim('task counts unavailable'), ''];
  const counts = `${done}/${st.total}`;
  const pct = st.total > 0 ? ` ${Math.floor((done / st.total) * 100)}%` : '';
  const label = ` ${counts}${pct}`;
  const barWidth = Math.max(10, o.width - label.length - 2);
  const progress = `${segmentedBar(st, barWidth, g)}${color('bold', label)}`;
  const legend = fitSegments(
    [
      { text: color('green-fg', `${g.ok} ${st.completed} ok`) },
      { text: color('red-fg', `${g.fail} ${st.failed} failed`) },
      { text: color('yellow-fg', `${g.running} ${st.assigned} assigned`) },
      { text: dim(`${st.pending} pending`) },
      { text: `${st.activeExecutors} executor${st.activeExecutors === 1 ? '' : 's'} busy`, priority: 1 },
      { text: `${o.rate === null ? '…' : o.rate > 0 && o.rate < 0.01 ? '<0.01' : formatNumber(o.rate, o.rate < 10 ? 2 : 0)} tasks/s`, priority: 2 },
    ],
    o.width,
    sep,
  );
  return [line1, progress, legend];
}

/** The capacity model's estimate of the whole cycle against its timeout (red when it will not fit). */
function estimateSegment(snap: DashboardSnapshot, cycleId: number): { text: string; priority: number }[] {
  const e = snap.cycleEstimate;
  if (!e || e.cycleId !== cycleId) return [];
  const text = `model ~${formatDuration(e.estimatedSeconds)} of ${formatDuration(e.timeoutSeconds)}`;
  if (e.fits) return [{ text: dim(text), priority: 1 }];
  return [{ text: color('red-fg', `${text}: WILL TIME OUT (${escapeTags(e.bottleneck)})`), priority: 0 }];
}

/** completed (green) | failed (red) | assigned (yellow) | pending (empty), proportional to counts. */
export function segmentedBar(st: { total: number; completed: number; failed: number; assigned: number }, width: number, g: Glyphs): string {
  if (st.total <= 0) return dim(g.empty.repeat(width));
  // Largest-remainder apportionment so the segments always add up to exactly `width`.
  const parts = [st.completed, st.failed, st.assigned];
  const exact = parts.map((n) => (Math.max(0, n) / st.total) * width);
  const cells = exact.map(Math.floor);
  let used = cells.reduce((a, b) => a + b, 0);
  const filled = Math.min(width, Math.round(((st.completed + st.failed + st.assigned) / st.total) * width));
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r);
  for (const { i } of order) {
    if (used >= filled) break;
    cells[i]! += 1;
    used++;
  }
  const [ok, bad, run] = cells as [number, number, number];
  return (
    color('green-fg', g.full.repeat(ok)) +
    color('red-fg', g.full.repeat(bad)) +
    color('yellow-fg', g.full.repeat(run)) +
    dim(g.empty.repeat(Math.max(0, width - ok - bad - run)))
  );
}

// ── weights ───────────────────────────────────────────────────────────────────────────────────

export function weightsLines(snap: DashboardSnapshot | null, o: ViewOptions): string[] {
  const g = o.glyphs;
  if (!snap) return [dim('waiting for data…')];
  const out: string[] = [];
  const w = snap.weights;
  const v = snap.appliance?.validator ?? null;
  const sub = v?.lastSubmission ?? null;
  if (!v) out.push(`chain submission ${dim('n/a')}`);
  else if (!v.enabled) out.push(`chain submission ${dim('validator off')}`);
  else if (!sub) out.push(`chain submission ${dim('none yet')}`);
  else {
    const ok = submissionOk(sub);
    out.push(
      truncateTagged(
        `chain ${sub.block !== null ? `#${sub.block} ` : ''}${color(ok ? 'green-fg' : 'red-fg', escapeTags(sub.outcome ?? 'unknown'))} ${dim(formatAgo(sub.at, o.nowMs))} ${g.dot} ${sub.uids.length} uids`,
        o.width,
      ),
    );
    if (sub.error) out.push(color('red-fg', escapeTags(truncate(sub.error, o.width))));
  }
  if (!w) {
    out.push(dim('no weights computed yet'));
    return out;
  }
  out.push(truncateTagged(`computed cycle #${w.cycleId} ${g.dot} block ${w.blockNumber} ${g.dot} ${dim(formatAgo(w.timestamp, o.nowMs))}`, o.width));
  const entries = Object.entries(w.weights)
    .map(([uid, weight]) => ({ uid: Number(uid), weight }))
    .filter((e) => Number.isFinite(e.uid))
    .sort((a, b) => b.weight - a.weight || a.uid - b.uid);
  if (entries.length === 0) {
    out.push(dim('empty: the cycle scored no miners'));
    return out;
  }
  const u16 = new Map<number, number>();
  w.u16.uids.forEach((uid, i) => u16.set(uid, w.u16.values[i] ?? 0));
  const uidW = Math.max(3, ...entries.map((e) => String(e.uid).length));
  const pctW = 6;
  const u16W = 5;
  const barW = Math.max(4, o.width - uidW - pctW - u16W - 3);
  out.push(color('bold', `${fit('uid', uidW, 'right')} ${fit('share', barW)} ${fit('weight', pctW, 'right')} ${fit('u16', u16W, 'right')}`));
  const max = entries[0]!.weight;
  for (const e of entries) {
    // Bars are scaled to the largest weight, so small differences between winners stay visible.
    const b = bar(max > 0 ? e.weight / max : 0, barW, g);
    const value = u16.get(e.uid);
    out.push(
      `${fit(String(e.uid), uidW, 'right')} ${color('cyan-fg', b.filled)}${dim(b.rest)} ${fit(`${(e.weight * 100).toFixed(1)}%`, pctW, 'right')} ${dim(fit(value === undefined ? '-' : String(value), u16W, 'right'))}`,
    );
  }
  return out;
}

// ── cycle history ─────────────────────────────────────────────────────────────────────────────

export function historyLines(snap: DashboardSnapshot | null, o: ViewOptions): string[] {
  const g = o.glyphs;
  if (!snap) return [dim('waiting for data…')];
  if (snap.cycles.length === 0) return [dim('no cycles yet')];
  const idW = Math.max(3, ...snap.cycles.map((c) => String(c.id).length + 1));
  const blockW = Math.max(5, ...snap.cycles.map((c) => String(c.blockNumber).length));
  // Columns by importance; the less important ones only appear when the panel is wide enough.
  const times = snap.cycles.map((c) => shortTimestamp(c.startedAt, o.nowMs));
  const durations = snap.cycles.map((c) => {
    const started = parseTime(c.startedAt);
    return formatDuration(c.status === 'running' && started !== null ? (o.nowMs - started) / 1000 : c.durationSeconds);
  });
  const durW = Math.max(6, ...durations.map((d) => d.length));
  const optional = [
    { key: 'time', width: Math.max(...times.map((t) => t.length)) },
    { key: 'block', width: blockW },
    { key: 'shape', width: 7 },
  ] as const;
  let used = idW + 1 + 11 + 1 + durW;
  const shown = new Set<string>();
  for (const c of optional) {
    if (used + 1 + c.width > o.width) break;
    used += 1 + c.width;
    shown.add(c.key);
  }
  return snap.cycles.flatMap((c, i) => {
    const shape = c.nMiners !== null ? `${c.nMiners}m×${c.nEnvironments ?? '?'}e` : c.nEnvironments !== null ? `?m×${c.nEnvironments}e` : '';
    const cols = [
      fit(`#${c.id}`, idW, 'right'),
      color(statusTag(c.status), `${statusGlyph(c.status, g)} ${fit(c.status, 9)}`),
      ...(shown.has('block') ? [fit(String(c.blockNumber), blockW, 'right')] : []),
      fit(durations[i]!, durW, 'right'),
      ...(shown.has('shape') ? [fit(shape, 7)] : []),
      ...(shown.has('time') ? [dim(times[i]!)] : []),
    ];
    const line = truncateTagged(cols.join(' '), o.width);
    // A failed cycle's reason gets its own line: it is the one thing the operator needs to read.
    if (c.status !== 'failed' || !c.errorMessage) return [line];
    return [line, truncateTagged(`${' '.repeat(idW + 1)}${color('red-fg', escapeTags(c.errorMessage))}`, o.width)];
  });
}

// ── miner details ─────────────────────────────────────────────────────────────────────────────

function failureLine(f: FailedTask, o: ViewOptions): string {
  const where = `#${f.cycleId} ${envShortName(f.envId)}${f.episodeIndex !== null ? ` ep ${f.episodeIndex}` : ''}`;
  return truncateTagged(
    `  ${dim(escapeTags(shortTimestamp(f.completedAt, o.nowMs)))} ${escapeTags(where)}: ${color('red-fg', escapeTags(f.error ?? ''))}`,
    o.width,
  );
}

export function minerDetailLines(snap: DashboardSnapshot | null, uid: number, o: ViewOptions & { maxErrors?: number }): string[] {
  if (!snap) return [dim('no data')];
  const latest = snap.latest;
  const scores: MinerEnvScore[] = latest ? latest.scores.filter((s) => s.uid === uid) : [];
  const row = minerRows(snap).find((r) => r.uid === uid);
  const out: string[] = [];
  const hotkey = scores[0]?.hotkey ?? row?.hotkey ?? '';
  out.push(`${color('bold', `miner uid ${uid}`)}${hotkey ? `  ${escapeTags(hotkey)}` : ''}`);
  if (latest) out.push(dim(`latest completed cycle #${latest.cycle.id}, block ${latest.cycle.blockNumber}, ${formatAgo(latest.cycle.completedAt, o.nowMs)}`));
  const u16Index = snap.weights?.u16.uids.indexOf(uid) ?? -1;
  const u16 = u16Index >= 0 ? snap.weights!.u16.values[u16Index] : undefined;
  out.push(
    `points ${color('bold', formatNumber(row?.points ?? null))}  weight ${color('cyan-fg', row?.weight !== null && row?.weight !== undefined ? `${(row.weight * 100).toFixed(2)}%` : 'n/a')}  u16 ${u16 ?? 'n/a'}`,
  );
  out.push('');
  out.push(color('bold', 'per environment'));
  if (scores.length === 0) out.push(dim('  no scores in the latest completed cycle'));
  else {
    const envW = Math.max(11, ...scores.map((s) => envShortName(s.envId).length));
    out.push(
      dim(`  ${fit('env', envW)} ${fit('success', 7, 'right')} ${fit('reward', 8, 'right')} ${fit('episodes', 8, 'right')} ${fit('failed', 6, 'right')}`),
    );
    for (const s of scores) {
      out.push(
        `  ${escapeTags(fit(envShortName(s.envId), envW))} ${cell(formatRate(s.successRate), 7, { align: 'right', tag: rateTag(s.successRate) })} ${fit(formatNumber(s.meanReward, 2), 8, 'right')} ${fit(String(s.episodesCompleted), 8, 'right')} ${fit(String(s.episodesFailed), 6, 'right')}`,
      );
    }
  }
  out.push('');
  out.push(color('bold', 'subsets (why it won or lost)'));
  if (latest) out.push(...explainMinerLines(latest.explanation, uid).map((l) => `  ${l}`));
  else out.push(dim('  no completed cycle yet'));
  out.push('');
  // A failed task without error text is an episode that ran and did not succeed: the per-env
  // table already counts those. Errors are what went wrong (timeouts, bad actions, crashes).
  const failures = [...snap.currentFailures, ...(latest?.failures ?? [])].filter((f) => f.minerUid === uid && f.error);
  const maxErrors = o.maxErrors ?? 15;
  out.push(color('bold', `recent errors${failures.length > 0 ? ` (${failures.length}${failures.length >= maxErrors ? '+' : ''})` : ''}`));
  if (failures.length === 0) out.push(dim('  none in the running or latest completed cycle'));
  for (const f of failures.slice(0, maxErrors)) out.push(failureLine(f, o));
  return out.map((l) => truncateTagged(l, o.width));
}

// ── footer ────────────────────────────────────────────────────────────────────────────────────

export function footerLine(o: ViewOptions & { updatedAt: number | null; error: string | null; detailOpen: boolean; warnings: readonly string[] }): string {
  const g = o.glyphs;
  const k = (key: string) => color('bold', key);
  const variants = o.detailOpen
    ? [`${k('esc')} close ${g.dot} ${k(`${g.up}${g.down}`)} scroll`, `${k('esc')} close`]
    : [
        `${k('q')} quit ${g.dot} ${k('tab')} panel ${g.dot} ${k(`${g.up}${g.down}`)} scroll ${g.dot} ${k('enter')} miner details`,
        `${k('q')} quit ${g.dot} ${k('tab')} ${g.dot} ${k(`${g.up}${g.down}`)} ${g.dot} ${k('enter')} details`,
        `${k('q')} quit`,
      ];
  let state: string;
  if (o.error)
    state = color(
      'red-fg',
      escapeTags(`${o.error}${o.updatedAt !== null ? ` (showing data from ${formatAgo(new Date(o.updatedAt).toISOString(), o.nowMs)})` : ''}`),
    );
  else if (o.updatedAt === null) state = dim('connecting…');
  else if (o.warnings.length > 0) state = color('yellow-fg', escapeTags(`partial data: ${o.warnings[0]}`));
  else state = dim(`updated ${formatAgo(new Date(o.updatedAt).toISOString(), o.nowMs)}`);
  // The state (an error above all) matters more than the key help: the help shrinks first.
  const sep = dim(`  ${g.sep} `);
  const room = o.width - taggedWidth(state) - taggedWidth(sep) - 1;
  const keys = variants.find((v) => taggedWidth(v) <= room);
  return truncateTagged(keys ? ` ${keys}${sep}${state}` : ` ${state}`, o.width);
}
