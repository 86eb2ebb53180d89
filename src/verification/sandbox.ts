/**
 * Runs a miner's committed code without trusting it: in a bubblewrap sandbox with no network (a
 * private network namespace with only its own loopback), no writable file system, the code mounted
 * read-only, no capabilities, an unprivileged uid, fresh PID/IPC/UTS namespaces, resource limits
 * (address space, CPU seconds, file size 0, open files) and a wall-clock deadline after which the
 * whole sandbox is killed. Nothing of the host is visible but the system libraries, the Python
 * installation and kinitro's relay script (all read-only).
 *
 * The appliance never imports or evaluates the miner's code: it talks to the sandboxed relay over the
 * child's stdin/stdout. When no working sandbox exists on the host, `probe()` says why and the spot
 * check is reported `unverifiable` with that reason (it never falls back to running code unsandboxed).
 */
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const RELAY_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'relay.py');

export interface SandboxLimits {
  /** Address-space limit of every process in the sandbox (bytes; default 4 GiB). */
  memoryBytes: number;
  /** CPU-seconds limit per process (default 120). */
  cpuSeconds: number;
  /** Wall-clock deadline for the whole replay, start-up included (default 180 s). */
  wallMs: number;
  /** Seconds the committed server may take to answer /health (default 60). */
  startSeconds: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryBytes: 4 * 1024 ** 3, cpuSeconds: 120, wallMs: 180_000, startSeconds: 60 };

export interface SandboxOptions {
  /** The bubblewrap binary (default `bwrap` on the PATH). */
  bwrap?: string;
  /** The Python that runs the committed code (default `python3`); its installation is mounted read-only. */
  python?: string;
  limits?: Partial<SandboxLimits>;
}

/** The sandbox could not run the code at all (our side): the spot check is unverifiable. */
export class SandboxUnavailable extends Error {
  override name = 'SandboxUnavailable';
}

export interface RelayAnswer {
  status: number;
  body: unknown;
}

export interface ReplayResult {
  /** One answer per request, in order, up to the first failure. */
  answers: RelayAnswer[];
  /** Why the replay stopped early (the code crashed, hung, exceeded a limit); null when all answered. */
  failure: string | null;
  /** The tail of the sandbox's stderr (the miner's own log lines), for the operator. */
  stderrTail: string;
}

interface PythonInstall {
  executable: string;
  roots: string[];
}

const MAX_STDOUT = 16 * 1024 * 1024;
const STDERR_TAIL = 4000;

export class BubblewrapSandbox {
  private readonly bwrap: string;
  private readonly python: string;
  readonly limits: SandboxLimits;
  private probed: Promise<{ ok: true; python: PythonInstall } | { ok: false; reason: string }> | undefined;

  constructor(options: SandboxOptions = {}) {
    this.bwrap = options.bwrap ?? 'bwrap';
    this.python = options.python ?? 'python3';
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
  }

  /** Whether the sandbox works on this host (cached): null when it does, else the reason it does not. */
  async probe(): Promise<string | null> {
    const p = await this.ready();
    return p.ok ? null : p.reason;
  }

  private ready() {
    this.probed ??= (async () => {
      let python: PythonInstall;
      try {
        // Our own, trusted interpreter: where it lives (pyenv shims and venvs resolve to a real prefix).
        const { stdout } = await execFileP(this.python, ['-c', 'import sys, json; print(json.dumps([sys.executable, sys.prefix, sys.base_prefix]))'], {
          timeout: 30_000,
        });
        const [executable, prefix, basePrefix] = JSON.parse(stdout) as [string, string, string];
        python = { executable, roots: [...new Set([prefix, basePrefix].map((r) => fs.realpathSync(r)))] };
      } catch (err) {
        return { ok: false as const, reason: `no usable Python for the sandbox (${this.python}): ${(err as Error).message.split('\n')[0]}` };
      }
      try {
        // Through prlimit, as every replay runs (util-linux; a missing prlimit is reported too).
        await execFileP('prlimit', ['--nofile=256', '--', this.bwrap, ...this.isolationArgs(python), '--', python.executable, '-c', 'pass'], {
          timeout: 30_000,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === 'ENOENT') return { ok: false as const, reason: `no sandbox: prlimit (util-linux) is not installed` };
        if (/execvp|No such file/i.test(e.stderr ?? ''))
          return { ok: false as const, reason: `no sandbox: bubblewrap (${this.bwrap}) is not installed (apt-get install bubblewrap)` };
        return {
          ok: false as const,
          reason: `no sandbox: bubblewrap cannot create namespaces here (${(e.stderr ?? e.message).trim().split('\n')[0]}); unprivileged user namespaces may be disabled`,
        };
      }
      return { ok: true as const, python };
    })();
    return this.probed;
  }

  /** The namespaces and mounts (no code directory yet). */
  private isolationArgs(python: PythonInstall): string[] {
    const args = [
      '--unshare-all',
      '--unshare-user',
      '--uid',
      '65534',
      '--gid',
      '65534',
      '--cap-drop',
      'ALL',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ];
    for (const dir of ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/etc/alternatives']) args.push('--ro-bind-try', dir, dir);
    for (const file of ['/etc/ld.so.cache', '/etc/localtime']) args.push('--ro-bind-try', file, file);
    for (const root of python.roots) args.push('--ro-bind', root, root);
    args.push('--proc', '/proc', '--dev', '/dev');
    return args;
  }

  /**
   * Starts the committed server from `codeDir` in the sandbox and sends it `requests` in order (each a
   * POST with a JSON body). Throws SandboxUnavailable when the sandbox itself cannot run.
   */
  async replay(codeDir: string, requests: ReadonlyArray<{ path: string; body: unknown }>): Promise<ReplayResult> {
    const ready = await this.ready();
    if (!ready.ok) throw new SandboxUnavailable(ready.reason);
    const l = this.limits;
    const args = [
      `--as=${l.memoryBytes}`,
      `--cpu=${l.cpuSeconds}`,
      '--fsize=0',
      '--nofile=256',
      '--',
      this.bwrap,
      ...this.isolationArgs(ready.python),
      '--ro-bind',
      fs.realpathSync(codeDir),
      '/app',
      '--ro-bind',
      RELAY_SCRIPT,
      '/kinitro/relay.py',
      '--remount-ro',
      '/',
      '--chdir',
      '/app',
      '--setenv',
      'PORT',
      '8001',
      '--setenv',
      'HOST',
      '127.0.0.1',
      '--setenv',
      'HOME',
      '/nonexistent',
      '--setenv',
      'PATH',
      '/usr/local/bin:/usr/bin:/bin',
      '--setenv',
      'PYTHONDONTWRITEBYTECODE',
      '1',
      '--setenv',
      'PYTHONNOUSERSITE',
      '1',
      '--setenv',
      'PYTHONUNBUFFERED',
      '1',
      // One thread each: results must not depend on the host's core count, and the limits stay meaningful.
      '--setenv',
      'OMP_NUM_THREADS',
      '1',
      '--setenv',
      'OPENBLAS_NUM_THREADS',
      '1',
      '--setenv',
      'MKL_NUM_THREADS',
      '1',
      '--setenv',
      'MAX_CONCURRENT_EPISODES',
      '1',
      '--setenv',
      'KINITRO_SANDBOX_START_SECONDS',
      String(l.startSeconds),
      '--',
      ready.python.executable,
      '/kinitro/relay.py',
    ];
    const child = spawn('prlimit', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const answers: RelayAnswer[] = [];
    let failure: string | null = null;
    let stdout = '';
    let stderr = '';
    let overflow = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdout.length + chunk.length > MAX_STDOUT) {
        overflow = true;
        kill();
        return;
      }
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, l.wallMs);
    child.stdin.on('error', () => undefined); // the sandbox may die before reading everything
    child.stdin.end(JSON.stringify({ requests }));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => clearTimeout(timer));
    for (const line of stdout.split('\n')) {
      if (line.trim() === '') continue;
      let doc: { status?: unknown; body?: unknown; fatal?: unknown };
      try {
        doc = JSON.parse(line) as typeof doc;
      } catch {
        failure = 'the sandbox relay wrote an unreadable line';
        break;
      }
      if (typeof doc.fatal === 'string') {
        failure = doc.fatal;
        break;
      }
      if (typeof doc.status !== 'number') {
        failure = 'the sandbox relay wrote an answer without a status';
        break;
      }
      answers.push({ status: doc.status, body: doc.body ?? null });
    }
    if (failure === null && answers.length < requests.length) {
      failure = overflow
        ? 'the committed code wrote more output than allowed'
        : timedOut
          ? `the committed code did not finish within ${Math.round(l.wallMs / 1000)} s`
          : `the sandbox stopped after ${answers.length} of ${requests.length} answers (exit ${exit.code ?? exit.signal})`;
    }
    return { answers, failure, stderrTail: stderr };
  }
}
