/**
 * `npm run bench -- integrity [episodes] [envs] [parts]`: the evaluation-integrity acceptance run on
 * fresh secret cued instances, per environment (defaults: 200 episodes, all, every part).
 *
 * Parts (comma-separated): `oracle` (privileged, ≥ 0.90), `random` (≤ 0.05), `blind` (every blind
 * strategy, each ≤ chance + 5 pp, chance = 1 / candidates), `vision` (from pixels, through a policy
 * server in its own process evaluated exactly as the executors do, 8 episodes at once, ≥ 0.80; the
 * act latency the executor measured is reported as percentiles of each episode's slowest action,
 * which bound the per-action p99 from above).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { evaluateEndpoint } from '../src/executor/evaluate-endpoint.ts';
import { BlindPolicy } from '../src/miner/blind/policy.ts';
import { strategiesFor } from '../src/miner/blind/index.ts';
import { CUED_MODULES } from '../src/sim/cued/index.ts';
import { evaluatePolicy } from '../src/sim/evaluation.ts';
import { createInProcessPolicy, type Policy } from '../src/sim/policies.ts';
import { resolveEnvSelection, type EnvId } from '../src/sim/registry.ts';

const PARTS = ['oracle', 'random', 'blind', 'vision'] as const;

interface Row {
  env: EnvId;
  what: string;
  successes: number;
  episodes: number;
  wrong: number;
  bound: string;
  ok: boolean;
  extra?: string;
}

async function inProcess(envId: EnvId, episodes: number, policy: () => Policy): Promise<{ successes: number; wrong: number }> {
  const s = await evaluatePolicy({ envIds: [envId], episodes, images: false, policyFor: policy });
  const e = s.envs[envId]!;
  return { successes: e.successes, wrong: e.violations };
}

async function startVisionServer(): Promise<{ url: string; stop: () => void }> {
  const bin = fileURLToPath(new URL('../bin/kinitro.js', import.meta.url));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [bin, 'serve-policy', '--policy', 'vision', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('vision policy server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

export default async function integrity(args: string[]): Promise<void> {
  const episodes = Number(args[0] ?? 200);
  const envIds = resolveEnvSelection(args[1] ?? 'all');
  const parts = (args[2] ?? PARTS.join(',')).split(',');
  console.log(
    `integrity: ${episodes} fresh cued instances per environment and policy; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const rows: Row[] = [];
  const print = (r: Row) => {
    rows.push(r);
    console.log(
      `${r.env.padEnd(26)} ${r.what.padEnd(30)} ${`${r.successes}/${r.episodes}`.padStart(8)} ${`${((100 * r.successes) / r.episodes).toFixed(1)}%`.padStart(7)} wrong ${String(r.wrong).padStart(4)}  ${r.bound.padEnd(9)} ${r.ok ? 'ok' : 'FAIL'}${r.extra ? `  ${r.extra}` : ''}`,
    );
  };
  for (const env of envIds) {
    const chance = 1 / CUED_MODULES[env].candidates;
    if (parts.includes('oracle')) {
      const r = await inProcess(env, episodes, () => createInProcessPolicy('oracle'));
      print({ env, what: 'oracle (privileged)', ...r, episodes, bound: '≥ 90%', ok: r.successes / episodes >= 0.9 });
    }
    if (parts.includes('random')) {
      const r = await inProcess(env, episodes, () => createInProcessPolicy('random'));
      print({ env, what: 'random', ...r, episodes, bound: '≤ 5%', ok: r.successes / episodes <= 0.05 });
    }
    if (parts.includes('blind')) {
      for (const strategy of strategiesFor(env)) {
        const r = await inProcess(env, episodes, () => new BlindPolicy(strategy.name));
        const bound = chance + 0.05;
        print({ env, what: `blind:${strategy.name}`, ...r, episodes, bound: `≤ ${(100 * bound).toFixed(1)}%`, ok: r.successes / episodes <= bound });
      }
    }
  }
  if (parts.includes('vision')) {
    const server = await startVisionServer();
    try {
      for (const env of envIds) {
        const maxima: number[] = [];
        let meanSum = 0,
          meanN = 0;
        const summary = await evaluateEndpoint({
          endpoint: server.url,
          envIds: [env],
          episodes,
          images: true,
          concurrency: 8,
          onEpisode: (_e, _i, o) => {
            if (o.maxActionLatencyMs !== null) maxima.push(o.maxActionLatencyMs);
            if (o.meanActionLatencyMs !== null) {
              meanSum += o.meanActionLatencyMs * o.actionCount;
              meanN += o.actionCount;
            }
          },
        });
        const e = summary.envs[env]!;
        maxima.sort((a, b) => a - b);
        const latency = `act mean ${(meanSum / Math.max(1, meanN)).toFixed(1)} ms; slowest per episode p50 ${pct(maxima, 0.5).toFixed(0)} / p99 ${pct(maxima, 0.99).toFixed(0)} / max ${(maxima.at(-1) ?? 0).toFixed(0)} ms; errors ${e.errors}`;
        print({
          env,
          what: 'vision (pixels, via executor)',
          successes: e.successes,
          wrong: e.violations,
          episodes,
          bound: '≥ 80%',
          ok: e.success_rate >= 0.8,
          extra: latency,
        });
      }
    } finally {
      server.stop();
    }
  }
  const failed = rows.filter((r) => !r.ok);
  console.log(failed.length === 0 ? 'all bounds hold' : `${failed.length} bound(s) missed`);
}
