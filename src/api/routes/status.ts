/** Health, the evaluation status and the environment registry (docs/original.md §1.2, §1.10). */
import { ENV_IDS, splitEnvId } from '../../sim/registry.ts';
import { VERSION } from '../../version.ts';
import type { EnvironmentsJson, Health, StatusJson } from '../contract.ts';
import { cycleJson } from '../shapes.ts';
import type { RouteModule } from './context.ts';

export const statusRoutes: RouteModule = (router, { store, statusExtension }) => {
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', version: VERSION, database: store.ping() ? 'connected' : 'disconnected' } satisfies Health;
  });

  router.get('/v1/status', (ctx) => {
    const current = store.cycles.current();
    const last = store.cycles.lastCompleted();
    ctx.body = {
      current_cycle: current ? cycleJson(current) : null,
      last_completed_cycle: last ? cycleJson(last) : null,
      total_cycles: store.cycles.count(),
      total_miners_evaluated: store.results.countDistinctMiners(),
      environments: [...ENV_IDS],
      is_evaluating: current !== undefined,
      ...statusExtension?.(),
    } satisfies StatusJson;
  });

  router.get('/v1/environments', (ctx) => {
    const last = store.cycles.lastCompleted();
    const scores = last ? store.results.scoresForCycle(last.id) : [];
    ctx.body = ENV_IDS.map((envId) => {
      const rows = scores.filter((s) => s.envId === envId);
      const { envName, taskName } = splitEnvId(envId);
      return {
        env_id: envId,
        env_name: envName,
        task_name: taskName,
        n_evaluations: rows.length,
        avg_success_rate: rows.length === 0 ? null : rows.reduce((a, s) => a + s.successRate, 0) / rows.length,
      };
    }) satisfies EnvironmentsJson;
  });
};
