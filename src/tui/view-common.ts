/** What every panel of the view layer shares: its options, and the colours and glyphs of a status or a rate. */
import { color, type Glyphs } from './format.ts';

export interface ViewOptions {
  width: number;
  nowMs: number;
  glyphs: Glyphs;
}

export const dim = (s: string) => color('gray-fg', s);

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

export function statusGlyph(status: string, g: Glyphs): string {
  return status === 'completed' ? g.ok : status === 'failed' ? g.fail : status === 'running' ? g.running : g.dot;
}

/** Success-rate colours: the table's traffic light. */
export function rateTag(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return 'gray-fg';
  if (rate >= 0.75) return 'green-fg';
  if (rate >= 0.4) return 'yellow-fg';
  return 'red-fg';
}
