/**
 * The pure view layer: snapshot (+ wall clock, width) → tagged text lines for each panel. The
 * blessed widgets only place these strings; everything a test wants to check about what is shown
 * can be checked here without a terminal.
 */
import type { DashboardSnapshot, FailedTask, MinerEnvScore } from './types.ts';
import {
  bar,
  cell,
  color,
  envHeaders,
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
import { explainMinerLines } from './explain-view.ts';

export interface ViewOptions {
  width: number;
  nowMs: number;
  glyphs: Glyphs;
}

const dim = (s: string) => color('gray-fg', s);

/** Whether a validator submission outcome reads as success. */
export function submissionOk(sub: { outcome: string | null; error: string | null }): boolean {
  return !sub.error && (sub.outcome === 'ok' || sub.outcome === 'success' || sub.outcome === 'submitted' || sub.outcome === 'set');
}

export function statusTag(status: string): string | null {
  switch (status) {
    case 'completed':
      return 'green-fg';
    case 'failed':
      return 'red-fg';
    case 'running':
      return 'yellow-fg';
    default:
      return 'gray-fg';
  }
}

function statusGlyph(status: string, g: Glyphs): string {
  return status === 'completed' ? g.ok : status === 'failed' ? g.fail : status === 'running' ? g.running : g.dot;
}

/** Success-rate colours: the table's traffic light. */
export function rateTag(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return 'gray-fg';
  if (rate >= 0.75) return 'green-fg';
  if (rate >= 0.4) return 'yellow-fg';
  return 'red-fg';
}

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

// ── miners × environments ─────────────────────────────────────────────────────────────────────

export interface MinerRow {
  uid: number;
  hotkey: string;
  /** envId → success rate (absent = not evaluated). */
  rates: Map<string, number>;
  points: number | null;
  weight: number | null;
  /** This cycle's deployment spot check, when the miner was drawn. */
  spotCheck: 'verified' | 'mismatch' | 'unverifiable' | null;
}

export interface ScoreTableView {
  /** The environments shown, in column order. */
  envIds: string[];
  header: string;
  rows: { uid: number; line: string }[];
  /** Shown instead of rows when there is nothing to show. */
  note: string | null;
  /** A short caption for the panel label. */
  caption: string;
}

/** Environment columns: the latest cycle's, else the registry's. */
export function tableEnvironments(snap: DashboardSnapshot): string[] {
  const fromCycle = snap.latest?.cycle.envIds;
  if (fromCycle && fromCycle.length > 0) return fromCycle;
  const seen = new Set<string>(snap.environments);
  const extra = (snap.latest?.scores ?? []).map((s) => s.envId).filter((e) => !seen.has(e));
  return [...snap.environments, ...new Set(extra)];
}

export function minerRows(snap: DashboardSnapshot): MinerRow[] {
  const latest = snap.latest;
  if (!latest) return [];
  const byUid = new Map<number, MinerRow>();
  const weights = snap.weights;
  const checks = new Map((latest.spotChecks ?? []).map((c) => [c.uid, c.outcome]));
  for (const s of latest.scores) {
    let row = byUid.get(s.uid);
    if (!row) {
      const w = weights?.weights[String(s.uid)];
      row = {
        uid: s.uid,
        hotkey: s.hotkey,
        rates: new Map(),
        points: latest.points?.[String(s.uid)] ?? null,
        weight: w ?? (weights ? 0 : null),
        spotCheck: checks.get(s.uid) ?? null,
      };
      byUid.set(s.uid, row);
    }
    row.rates.set(s.envId, s.successRate);
  }
  return [...byUid.values()].sort((a, b) => a.uid - b.uid);
}

export function scoreTable(snap: DashboardSnapshot | null, o: ViewOptions): ScoreTableView {
  if (!snap) return { envIds: [], header: '', rows: [], note: dim('waiting for data…'), caption: 'scores' };
  const envIds = tableEnvironments(snap);
  const rows = minerRows(snap);
  // A spot-checked miner's uid carries a mark: ok (verified), fail (mismatch), ? (unverifiable).
  const marked = rows.some((r) => r.spotCheck !== null);
  const uidW = Math.max(3, ...rows.map((r) => String(r.uid).length + (marked ? 1 : 0)));
  const ptsW = Math.max(6, ...rows.map((r) => formatNumber(r.points, 2).length));
  const wW = 6;
  const n = Math.max(1, envIds.length);
  const longest = Math.max(4, ...envIds.map((e) => envShortName(e).length));
  const fixedNoHotkey = uidW + 1 + ptsW + 1 + wW;
  let envW = Math.floor((o.width - fixedNoHotkey - n) / n);
  let hkW = 0;
  // The hotkey column is the first thing to give up: it only appears when the envs keep 6 columns.
  const withHotkey = (hk: number) => Math.floor((o.width - fixedNoHotkey - hk - 1 - n) / n);
  if (withHotkey(9) >= 6) {
    hkW = 9;
    envW = withHotkey(hkW);
  }
  envW = Math.max(4, Math.min(envW, longest));
  if (hkW > 0) {
    const spare = o.width - (fixedNoHotkey + hkW + 1 + n * (envW + 1));
    hkW += Math.max(0, Math.min(spare, 13 - hkW));
  }

  const headers = envHeaders(envIds, envW);
  const head = [
    cell('uid', uidW, { align: 'right' }),
    ...(hkW > 0 ? [cell('hotkey', hkW)] : []),
    ...headers.map((h) => cell(h, envW, { align: 'right' })),
    cell('points', ptsW, { align: 'right' }),
    cell('weight', wW, { align: 'right' }),
  ].join(' ');

  // Best rate per env, to pick out each column's leader.
  const best = new Map<string, number>();
  for (const r of rows) for (const [env, rate] of r.rates) best.set(env, Math.max(best.get(env) ?? -1, rate));

  const lines = rows.map((r) => {
    const envCells = envIds.map((env) => {
      const rate = r.rates.get(env);
      const text = cell(formatRate(rate), envW, { align: 'right', tag: rateTag(rate) });
      return rate !== undefined && rate > 0 && rate === best.get(env) && rows.length > 1 ? color('bold', text) : text;
    });
    const weightText = r.weight === null ? 'n/a' : `${(r.weight * 100).toFixed(r.weight >= 0.9995 ? 0 : 1)}%`;
    const line = [
      marked ? cell(String(r.uid), uidW - 1, { align: 'right' }) + spotMark(r.spotCheck, o) : cell(String(r.uid), uidW, { align: 'right' }),
      ...(hkW > 0 ? [cell(shortHotkey(r.hotkey, hkW, o.glyphs.ellipsis), hkW, { tag: 'gray-fg' })] : []),
      ...envCells,
      cell(formatNumber(r.points, 2), ptsW, { align: 'right' }),
      cell(weightText, wW, { align: 'right', tag: r.weight !== null && r.weight > 0 ? 'cyan-fg' : 'gray-fg' }),
    ].join(' ');
    return { uid: r.uid, line };
  });

  const latest = snap.latest;
  let note: string | null = null;
  if (!latest) {
    note = snap.currentCycle ? dim(`no completed cycle yet — cycle #${snap.currentCycle.id} is running`) : dim('no completed cycle yet');
  } else if (rows.length === 0) note = dim(`cycle #${latest.cycle.id} scored no miners`);
  const caption = latest ? `scores ${o.glyphs.dot} cycle #${latest.cycle.id} ${o.glyphs.dot} block ${latest.cycle.blockNumber}` : 'scores';
  return { envIds, header: color('bold', head), rows: lines, note, caption };
}

function spotMark(outcome: MinerRow['spotCheck'], o: ViewOptions): string {
  if (outcome === 'verified') return color('green-fg', o.glyphs.ok);
  if (outcome === 'mismatch') return color('red-fg', o.glyphs.fail);
  if (outcome === 'unverifiable') return color('yellow-fg', '?');
  return ' ';
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
