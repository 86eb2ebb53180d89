/**
 * Text primitives for the dashboard: widths, truncation, durations, bars and blessed colour tags.
 * Everything here is pure. Strings are measured in code points, which is the terminal width for
 * every character we draw (ASCII, box drawing, block elements).
 */

export interface Glyphs {
  full: string;
  empty: string;
  /** Partially filled cells, lowest first (the last is almost full). */
  partial: readonly string[];
  ellipsis: string;
  sep: string;
  ok: string;
  fail: string;
  running: string;
  dot: string;
  up: string;
  down: string;
}

export const UNICODE_GLYPHS: Glyphs = {
  full: '█',
  empty: '░',
  partial: ['▏', '▎', '▍', '▌', '▋', '▊', '▉'],
  ellipsis: '…',
  sep: '│',
  ok: '✓',
  fail: '✗',
  running: '▶',
  dot: '·',
  up: '↑',
  down: '↓',
};

/** For terminals without UTF-8 (blessed would turn the unicode glyphs into '?'). */
export const ASCII_GLYPHS: Glyphs = {
  full: '#',
  empty: '.',
  partial: [],
  ellipsis: '~',
  sep: '|',
  ok: '+',
  fail: 'x',
  running: '>',
  dot: '.',
  up: '^',
  down: 'v',
};

/** Visible width of plain text. */
export function textWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Cuts plain text to `width` columns, marking the cut with an ellipsis. */
export function truncate(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  const chars = [...s];
  return width <= textWidth(ellipsis) ? chars.slice(0, width).join('') : chars.slice(0, width - textWidth(ellipsis)).join('') + ellipsis;
}

/** Pads or cuts plain text to exactly `width` columns. */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left', ellipsis = '…'): string {
  const t = truncate(s, width, ellipsis);
  const gap = ' '.repeat(Math.max(0, width - textWidth(t)));
  return align === 'left' ? t + gap : gap + t;
}

/** Makes arbitrary text safe inside a tagged blessed string. */
export function escapeTags(s: string): string {
  return s.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

/** Removes blessed tags (and unescapes braces): what the terminal shows. */
export function stripTags(s: string): string {
  return s.replace(/\{(\/?[\w\-,;!#]*)\}/g, (m, name: string) => (name === 'open' ? '{' : name === 'close' ? '}' : ''));
}

/** Visible width of a tagged string. */
export function taggedWidth(s: string): number {
  return textWidth(stripTags(s));
}

/** Wraps escaped text in a colour tag (blessed names, e.g. 'green-fg', 'bold'). */
export function color(tag: string | null, text: string): string {
  return tag ? `{${tag}}${text}{/${tag}}` : text;
}

/** Plain text, escaped, padded to width, then coloured: a fixed-width table cell. */
export function cell(text: string, width: number, options: { align?: 'left' | 'right'; tag?: string | null; ellipsis?: string } = {}): string {
  return color(options.tag ?? null, escapeTags(fit(text, width, options.align ?? 'left', options.ellipsis)));
}

/** "45s", "2m05s", "1h02m", "3d04h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'n/a';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

/** Milliseconds of an ISO timestamp, or null if it does not parse. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/** A coarse age: "12s", "4m", "3h05m", "2d04h" (seconds stop mattering after a minute). */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return formatDuration(s);
}

/** "12s ago", "4m ago"; "in 20s" for the future; "n/a" when unknown. */
export function formatAgo(iso: string | null | undefined, nowMs: number): string {
  const t = parseTime(iso);
  if (t === null) return 'n/a';
  const d = (nowMs - t) / 1000;
  if (d < -1) return `in ${formatAge(-d)}`;
  return `${formatAge(d)} ago`;
}

/** Local wall-clock time "HH:MM:SS". */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** "12:30:00" for today, "Jan 02 12:30" otherwise. */
export function shortTimestamp(iso: string | null | undefined, nowMs: number): string {
  const t = parseTime(iso);
  if (t === null) return 'n/a';
  const d = new Date(t);
  const now = new Date(nowMs);
  if (d.toDateString() === now.toDateString()) return clockTime(t);
  const month = d.toLocaleString('en-US', { month: 'short' });
  return `${month} ${String(d.getDate()).padStart(2, '0')} ${clockTime(t).slice(0, 5)}`;
}

/** 0.853 → "85%"; null → "·". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '·';
  return `${Math.round(rate * 100)}%`;
}

/** 1234 → "1.2k", 12_345_678 → "12M". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a';
  const a = Math.abs(n);
  if (a < 1000) return Number.isInteger(n) ? String(n) : n.toFixed(a < 10 ? 1 : 0);
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 1 : 0)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** A compact number for points and margins: up to 3 significant decimals, no trailing zeros. */
export function formatNumber(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a';
  if (Number.isInteger(n) && Math.abs(n) < 1e7) return String(n);
  if (Math.abs(n) >= 1000) return formatCount(n);
  const s = n.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** SS58 hotkeys are 48 characters: keep the head and tail. */
export function shortHotkey(hotkey: string | null | undefined, width: number, ellipsis = '…'): string {
  if (!hotkey) return '';
  if (textWidth(hotkey) <= width) return hotkey;
  if (width < 5) return truncate(hotkey, width, ellipsis);
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return hotkey.slice(0, head) + ellipsis + hotkey.slice(hotkey.length - tail);
}

/** "metaworld/pick-place-v3" → "pick-place". */
export function envShortName(envId: string): string {
  const slash = envId.indexOf('/');
  const task = slash < 0 ? envId : envId.slice(slash + 1);
  return task.replace(/-v\d+$/, '') || envId;
}

/** First letter plus consonants: "drawer" → "drwr", "insert" → "insrt". */
function skeleton(word: string): string {
  return word.length <= 2 ? word : word[0] + word.slice(1).replace(/[aeiou]/gi, '');
}

/** Prefix lengths for `words` that fill `budget` columns, handing columns out last word first. */
function allocate(words: readonly string[], budget: number): number[] {
  const sizes = words.map(() => 0);
  let left = budget;
  while (left > 0) {
    let gave = false;
    for (let i = words.length - 1; i >= 0 && left > 0; i--) {
      if (sizes[i]! < words[i]!.length) {
        sizes[i]! += 1;
        left--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  return sizes;
}

/**
 * Ways to shorten a hyphenated name to at most `width` columns, best first. Vowels go first
 * (longest words first: "pick-place" → "pck-plc"), then every word keeps a prefix, later words
 * getting the spare columns because they tell tasks apart ("drawer-open"/"drawer-close" at 5 →
 * "dr-op"/"dr-cl"). Later candidates move a column between words, to resolve collisions.
 */
export function abbreviations(name: string, width: number): string[] {
  if (width <= 0) return [''];
  if (textWidth(name) <= width) return [name];
  const words = name.split('-').filter(Boolean);
  const cur = [...words];
  const byLength = cur.map((w, i) => ({ w, i })).sort((a, b) => b.w.length - a.w.length || a.i - b.i);
  for (const { i } of byLength) {
    cur[i] = skeleton(cur[i]!);
    if (textWidth(cur.join('-')) <= width) return [cur.join('-')];
  }
  let parts = cur;
  while (parts.length > 1 && width - (parts.length - 1) < parts.length * 2) parts = parts.slice(0, -1);
  if (parts.length <= 1) return [truncate(parts[0] ?? name, width, '')];
  const sizes = allocate(parts, width - (parts.length - 1));
  const render = (sz: readonly number[]) => parts.map((w, i) => w.slice(0, sz[i])).join('-');
  const out = [render(sizes)];
  // Alternatives: one column moved from word a to word b.
  for (let a = 0; a < parts.length; a++) {
    for (let b = 0; b < parts.length; b++) {
      if (a === b || sizes[a]! <= 1 || sizes[b]! >= parts[b]!.length) continue;
      const alt = [...sizes];
      alt[a]! -= 1;
      alt[b]! += 1;
      const text = render(alt);
      if (!out.includes(text)) out.push(text);
    }
  }
  return out;
}

export function abbreviate(name: string, width: number): string {
  return abbreviations(name, width)[0]!;
}

/**
 * Column headers for environments, each at most `width` columns and distinct from each other:
 * a colliding abbreviation takes the next candidate, or a numeric suffix as the last resort.
 */
export function envHeaders(envIds: readonly string[], width: number): string[] {
  const taken = new Set<string>();
  return envIds.map((id) => {
    const candidates = abbreviations(envShortName(id), width);
    let h = candidates.find((c) => !taken.has(c));
    for (let n = 2; h === undefined; n++) {
      const suffix = String(n);
      const text = truncate(candidates[0]!, Math.max(1, width - suffix.length), '') + suffix;
      if (!taken.has(text)) h = text;
    }
    taken.add(h);
    return h;
  });
}

/** A horizontal bar of `width` cells for a fraction in [0, 1], with sub-cell precision when the glyphs allow. */
export function bar(fraction: number, width: number, glyphs: Glyphs): { filled: string; rest: string } {
  if (width <= 0) return { filled: '', rest: '' };
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const exact = f * width;
  let full = Math.floor(exact);
  let part = '';
  const steps = glyphs.partial.length + 1;
  const frac = exact - full;
  if (full < width && steps > 1) {
    const k = Math.round(frac * steps);
    if (k >= steps) full += 1;
    else if (k > 0) part = glyphs.partial[k - 1]!;
  } else if (full < width && frac >= 0.5) full += 1;
  const used = full + (part ? 1 : 0);
  return { filled: glyphs.full.repeat(full) + part, rest: glyphs.empty.repeat(Math.max(0, width - used)) };
}

/**
 * Lays out segments left to right within `width`, dropping the lowest-priority segments that do not
 * fit (higher number = dropped first) and truncating the last one if needed. Segments are tagged
 * strings; `sep` is placed between them.
 */
export function fitSegments(segments: readonly { text: string; priority?: number }[], width: number, sep: string): string {
  const live = segments.map((s, i) => ({ ...s, i, priority: s.priority ?? 0 }));
  const sepWidth = taggedWidth(sep);
  const total = (list: typeof live) => list.reduce((a, s) => a + taggedWidth(s.text), 0) + Math.max(0, list.length - 1) * sepWidth;
  while (live.length > 1 && total(live) > width) {
    let worst = 0;
    for (let i = 1; i < live.length; i++) if (live[i]!.priority >= live[worst]!.priority) worst = i;
    live.splice(worst, 1);
  }
  const line = live.map((s) => s.text).join(sep);
  return taggedWidth(line) <= width ? line : truncateTagged(line, width);
}

/** Truncates a tagged string to `width` visible columns, closing nothing (blessed tolerates open tags at line end). */
export function truncateTagged(s: string, width: number, ellipsis = '…'): string {
  if (taggedWidth(s) <= width) return s;
  const limit = Math.max(0, width - textWidth(ellipsis));
  let out = '';
  let visible = 0;
  const re = /\{(\/?[\w\-,;!#]*)\}|([^{]+|\{)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m[1] !== undefined) {
      const name = m[1];
      if (name === 'open' || name === 'close') {
        if (visible >= limit) break;
        out += m[0];
        visible++;
      } else out += m[0];
      continue;
    }
    for (const ch of m[2]!) {
      if (visible >= limit) break;
      out += ch;
      visible++;
    }
    if (visible >= limit) break;
  }
  return `${out}${ellipsis}{/}`;
}
