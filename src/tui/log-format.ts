/**
 * pino JSON lines → one compact, coloured line each for the log pane:
 * `12:00:01 INF api      request done uid=3 env=reach`. Lines that are not pino JSON are shown as
 * they are, so nothing the appliance writes is lost.
 */
import { clockTime, color, escapeTags, truncate } from './format.ts';

const LEVELS: Record<number, { label: string; tag: string }> = {
  10: { label: 'TRC', tag: 'gray-fg' },
  20: { label: 'DBG', tag: 'cyan-fg' },
  30: { label: 'INF', tag: 'green-fg' },
  40: { label: 'WRN', tag: 'yellow-fg' },
  50: { label: 'ERR', tag: 'red-fg' },
  60: { label: 'FTL', tag: 'red-bg' },
};
const NAMED: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Fields that are part of the line's frame rather than its content. */
const FRAME_KEYS = new Set(['level', 'time', 'msg', 'message', 'pid', 'hostname', 'component', 'name', 'v']);
const MAX_VALUE = 60;

function levelOf(raw: unknown): { label: string; tag: string; n: number } {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? (NAMED[raw.toLowerCase()] ?? 30) : 30;
  const key = [60, 50, 40, 30, 20, 10].find((k) => n >= k) ?? 10;
  return { ...LEVELS[key]!, n };
}

function timeOf(raw: unknown, fallbackMs: number): string {
  if (typeof raw === 'number' && Number.isFinite(raw)) return clockTime(raw);
  if (typeof raw === 'string') {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms)) return clockTime(ms);
  }
  return clockTime(fallbackMs);
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return /[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && 'message' in (v as object) && typeof (v as { message: unknown }).message === 'string') {
    // Serialised errors: the type and message say enough; the stack would flood the pane.
    const e = v as { type?: unknown; message: string };
    return JSON.stringify(`${typeof e.type === 'string' ? `${e.type}: ` : ''}${e.message}`);
  }
  return JSON.stringify(v) ?? String(v);
}

export interface FormattedLog {
  text: string;
  /** pino's numeric level (30 for lines that are not JSON). */
  level: number;
}

/** One tagged line for the pane; null for blank input. */
export function formatLogLine(line: string, nowMs = Date.now()): FormattedLog | null {
  const trimmed = line.trim();
  if (trimmed === '') return null;
  let obj: Record<string, unknown> | null = null;
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) obj = parsed as Record<string, unknown>;
    } catch {
      obj = null;
    }
  }
  if (!obj) return { text: `${color('gray-fg', clockTime(nowMs))} ${escapeTags(trimmed)}`, level: 30 };

  const level = levelOf(obj.level);
  const component = typeof obj.component === 'string' ? obj.component : typeof obj.name === 'string' ? obj.name : '';
  const msg = typeof obj.msg === 'string' ? obj.msg : typeof obj.message === 'string' ? obj.message : '';
  const fields = Object.entries(obj)
    .filter(([k]) => !FRAME_KEYS.has(k))
    .map(([k, v]) => `${k}=${truncate(valueText(v), MAX_VALUE)}`);
  const parts = [
    color('gray-fg', timeOf(obj.time, nowMs)),
    color(level.tag, level.label),
    ...(component ? [color('cyan-fg', escapeTags(component.padEnd(8)))] : []),
    ...(msg ? [level.n >= 50 ? color('red-fg', escapeTags(msg)) : escapeTags(msg)] : []),
    ...(fields.length > 0 ? [color('gray-fg', escapeTags(fields.join(' ')))] : []),
  ];
  return { text: parts.join(' '), level: level.n };
}

/** Splits a chunk (a pino destination may write several lines at once) into formatted lines. */
export function formatLogChunk(chunk: string, nowMs = Date.now()): FormattedLog[] {
  const out: FormattedLog[] = [];
  for (const line of chunk.split('\n')) {
    const f = formatLogLine(line, nowMs);
    if (f) out.push(f);
  }
  return out;
}
