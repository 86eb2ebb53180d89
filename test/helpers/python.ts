/** Running python3 from tests: the template's server, the kinitro_env client, fixture scripts. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BIN, ROOT } from './cli.ts';

/** How the Python client starts `kinitro env serve` in tests (this checkout's CLI). */
export const KINITRO_CMD = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;

export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Python script to completion. */
export function runPython(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, KINITRO_CMD, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a probe script that prints one JSON object; throws with its stderr when it fails. */
export async function pythonJson<T>(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<T> {
  const r = await runPython(args, options);
  if (r.code !== 0) throw new Error(`python3 ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** Starts a long-running Python process; resolves with it once its first stdout line is out (e.g. a port). */
export function startPython(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; firstLine: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python3 ${args.join(' ')} printed no line within the deadline:\n${err}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ child, firstLine: out.slice(0, nl), stderr: () => err });
      }
    };
    child.stdout!.on('data', onData);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`python3 ${args.join(' ')} exited (${code}) before printing a line:\n${err}`));
    });
  });
}

/** Stops a child and waits until it is gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGTERM');
  });
}
