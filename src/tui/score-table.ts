/** The miners × environments panel: one row per miner of the latest completed cycle, a column per environment. */
import type { DashboardSnapshot } from './types.ts';
import { cell, color, envHeaders, envShortName, formatNumber, formatRate, shortHotkey } from './format.ts';
import { type ViewOptions, dim, rateTag } from './view-common.ts';

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
