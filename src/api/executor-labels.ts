/**
 * Executors on public routes. The original's `TaskPoolStats.active_executors` lists executor ids, but
 * an executor id is what claims and submits tasks: published, it lets anyone watch (or, with the key,
 * impersonate) one executor. We keep the original's shape, a list of strings, with a stable opaque
 * label per executor instead: `executor-` + 8 hex of HMAC-SHA256(per-database secret, id). The same
 * executor has the same label on every response; the label does not reveal the id.
 */
import { createHmac } from 'node:crypto';
import type { Store } from '../store/index.ts';

export function executorLabel(secret: string, executorId: string): string {
  return `executor-${createHmac('sha256', secret).update(executorId, 'utf8').digest('hex').slice(0, 8)}`;
}

/** Labels of the given executor ids (stats carry the ids), sorted so the order reveals nothing either. */
export function executorLabels(store: Store): (ids: readonly string[]) => string[] {
  return (ids) => {
    if (ids.length === 0) return [];
    const secret = store.settings.executorLabelSecret();
    return ids.map((id) => executorLabel(secret, id)).sort();
  };
}
