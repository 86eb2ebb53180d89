/**
 * `npm run bench -- training [NUM_ENVS] [SECONDS] [THREADS|auto] [ENV]`: env steps per second of the
 * evaluation environments driven from Python (python/kinitro_env → kinitro env serve), without
 * images and with both 84×84 cameras, random actions, auto-reset on. Prints the load average before
 * and after each run: the development box is shared, so numbers under load are lower bounds. Also
 * prints the CPU time the server and the client spend per env step, which other work on the machine
 * disturbs far less than the rate, and the rate that CPU time would allow on this machine's idle
 * cores (a ceiling, not a measurement: it assumes the threads never wait for each other).
 * Targets (issue 17): ≥ 2,000 steps/s without images and ≥ 500 with both cameras, 8 envs, 2 cores.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'kinitro.js');

function run(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [path.join(here, 'training_vec.py'), ...args], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', KINITRO_CMD: `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`python3 exited ${code}`))));
  });
}

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

export default async function main(args: string[]): Promise<void> {
  const numEnvs = Number(args[0] ?? 8);
  const seconds = Number(args[1] ?? 10);
  const threads = args[2] ?? 'auto';
  const env = args[3] ?? 'all';
  console.log(`training: ${numEnvs} envs (${env}) from Python, ${seconds} s per run, server threads ${threads}; ${os.availableParallelism()} cores`);
  for (const [mode, target] of [
    ['none', 2000],
    ['images', 500],
  ] as const) {
    const before = load();
    const r = await run([String(numEnvs), mode, String(seconds), threads, env]);
    const rate = r.steps_per_s as number;
    const server = r.server_cpu_ms_per_step as number | null;
    const client = r.client_cpu_ms_per_step as number;
    const cores = os.availableParallelism();
    const cpu =
      server === null
        ? 'server CPU unknown'
        : `CPU per env step: server ${server.toFixed(3)} ms, client ${client.toFixed(3)} ms (idle-core ceiling ${Math.round((1000 * cores) / (server + client))} steps/s)`;
    console.log(
      `  ${mode === 'images' ? 'both cameras' : 'no images   '}: ${rate.toFixed(0).padStart(5)} env steps/s (target ≥ ${target}: ${rate >= target ? 'met' : 'NOT met'}), ` +
        `Python client ${(100 * (r.python_cpu_share as number)).toFixed(0)} % of a core, start-up ${(r.startup_s as number).toFixed(1)} s; load average ${before} → ${load()}\n    ${cpu}`,
    );
  }
}
