import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'kinitro.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `kinitro <args>` to completion in a child process. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Children still running when the test process ends (a test that failed before its own cleanup) are
// killed, so a failed test never leaves an executor, an appliance or a chain node behind.
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** Kills `child` when the test process exits, unless it has exited by then. */
export function killOnTestExit(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Starts a long-running command; `output()` returns what it has printed so far. */
export function spawnCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  killOnTestExit(child);
  return { child, output: () => out };
}

/**
 * Resolves with the exit code once the child has exited and its output has been read to the end
 * ('close', not 'exit': the last lines can still be in the pipe when 'exit' fires).
 */
export function whenClosed(child: ChildProcess): Promise<number | null> {
  const ended = (child.exitCode !== null || child.signalCode !== null) && child.stdout?.closed !== false && child.stderr?.closed !== false;
  return ended ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

/**
 * Resolves with the first match of `pattern` in what the child prints from now on; rejects once its
 * output has ended or after `ms`. It listens for 'close', not 'exit': npm can die of a signal before a
 * server it started has flushed its last lines through the shared pipe.
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const settle = (done: () => void) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('close', onClose);
      done();
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) settle(() => resolve(m));
    };
    const onClose = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(() => reject(new Error(`output ended (exit ${code ?? signal}) before ${pattern}; output:\n${out}`)));
    const timer = setTimeout(() => settle(() => reject(new Error(`no line matching ${pattern} within ${ms} ms; output:\n${out}`))), ms);
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('close', onClose);
  });
}
