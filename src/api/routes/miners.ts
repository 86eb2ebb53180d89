/** Miners of the latest completed cycle (docs/original.md §1.8) and a miner's history (an extension). */
import type { MinerHistoryJson, MinerJson } from '../contract.ts';
import { HttpError } from '../errors.ts';
import { intParam, pagination, parseQuery } from '../schemas.ts';
import { minerScoreJson, spotCheckJson } from '../shapes.ts';
import type { RouteModule } from './context.ts';

export const minersRoutes: RouteModule = (router, { store }) => {
  router.get('/v1/miners', (ctx) => {
    const last = store.cycles.lastCompleted();
    if (!last) {
      ctx.body = [];
      return;
    }
    const byUid = new Map<number, { hotkey: string; rates: number[]; envs: string[] }>();
    for (const s of store.results.scoresForCycle(last.id)) {
      const m = byUid.get(s.uid) ?? { hotkey: s.hotkey, rates: [], envs: [] };
      m.rates.push(s.successRate);
      m.envs.push(s.envId);
      byUid.set(s.uid, m);
    }
    const checks = new Map(store.spotChecks.forCycle(last.id).map((c) => [c.minerUid, c]));
    ctx.body = [...byUid].map(([uid, m]): MinerJson => ({
      uid,
      hotkey: m.hotkey,
      last_evaluated_block: last.blockNumber,
      avg_success_rate: m.rates.reduce((a, b) => a + b, 0) / m.rates.length,
      environments_evaluated: m.envs,
      // An extension of the original's shape: this cycle's deployment spot check, if the miner was drawn.
      spot_check: checks.has(uid) ? spotCheckJson(checks.get(uid)!) : null,
    }));
  });

  router.get('/v1/miners/:uid/history', (ctx) => {
    const uid = intParam('uid', ctx.params.uid);
    const { limit } = parseQuery(pagination, ctx.query);
    const history = store.results.minerHistory(uid, limit);
    if (history.length === 0 && !store.miners.get(uid)) throw new HttpError(404, `Miner ${uid} not found`);
    ctx.body = {
      uid,
      cycles: history.map((h) => ({
        cycle_id: h.cycleId,
        block_number: h.blockNumber,
        completed_at: h.completedAt,
        scores: h.scores.map(minerScoreJson),
      })),
    } satisfies MinerHistoryJson;
  });
};
