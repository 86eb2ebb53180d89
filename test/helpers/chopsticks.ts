/**
 * A real Subtensor runtime for tests: chopsticks (a dev dependency) executing the runtime in
 * `test/fixtures/chain/raonet.json` (runtime spec 218) in a child process on an ephemeral loopback
 * port, with instant block production. State is prepared with `dev_setStorage` and blocks are made
 * with `dev_newBlock`; `dev_setHead` rewinds to a saved block so tests can share one process.
 *
 * Every start has a deadline, and every process is killed when the test process ends, so a failing
 * test never leaves a node behind.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WsProvider } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { SubnetHyperparams } from '../../src/chain/types.ts';
import { killOnTestExit, ROOT } from './cli.ts';

export const RAONET_SPEC = path.join(ROOT, 'test', 'fixtures', 'chain', 'raonet.json');
const CHOPSTICKS_BIN = path.join(ROOT, 'node_modules', '@acala-network', 'chopsticks', 'chopsticks.cjs');

export interface Chopsticks {
  readonly url: string;
  readonly port: number;
  /** A raw JSON-RPC call (dev_* methods included). */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** `dev_setStorage` with chopsticks' pallet/item/[[key…], value] shape; changes the head's state. */
  setStorage(storage: Record<string, Record<string, unknown>>): Promise<void>;
  /** Builds `n` blocks; returns the new head's number. */
  newBlocks(n?: number): Promise<number>;
  head(): Promise<{ number: number; hash: `0x${string}` }>;
  /** Makes an earlier block the head again (later blocks are forgotten). */
  setHead(hash: `0x${string}`): Promise<void>;
  /** Kills the process (a crash, as far as clients can tell). */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** Everything the process printed (for failure messages). */
  output(): string;
}

export interface StartOptions {
  /** Listen on this port (for a restart on the same address); default: any free port. */
  port?: number;
  deadlineMs?: number;
}

/** Starts chopsticks on the raonet spec and resolves once it accepts RPC calls. */
export async function startChopsticks(options: StartOptions = {}): Promise<Chopsticks> {
  const deadlineMs = options.deadlineMs ?? 90_000;
  // The timestamp must sit on a 12 s slot boundary, or the first block can panic with
  // "Timestamp slot must match CurrentSlot".
  const timestamp = Math.floor(Date.now() / 12_000) * 12_000;
  const child = spawn(
    process.execPath,
    [
      CHOPSTICKS_BIN,
      '--genesis',
      RAONET_SPEC,
      '--host',
      '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      '--build-block-mode',
      'Instant',
      '--runtime-log-level',
      '0',
      '--timestamp',
      String(timestamp),
    ],
    // The readiness line is logged at info level.
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
  );
  killOnTestExit(child);
  let out = '';
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`chopsticks did not start within ${deadlineMs} ms; output:\n${out.slice(-4000)}`)), deadlineMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) settle(() => resolve(Number(m[1])));
    };
    const onClose = (code: number | null, signal: string | null) =>
      fail(new Error(`chopsticks exited (${code ?? signal}) before it was ready; output:\n${out.slice(-4000)}`));
    const settle = (done: () => void) => {
      clearTimeout(timer);
      child.off('close', onClose);
      done();
    };
    const fail = (err: Error) =>
      settle(() => {
        child.kill('SIGKILL');
        reject(err);
      });
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('close', onClose);
  });
  // Keep collecting output for diagnostics, but bounded.
  child.stdout!.on('data', () => (out = out.slice(-20_000)));

  const url = `ws://127.0.0.1:${port}`;
  const provider = new WsProvider(url, false, {}, 60_000);
  await provider.connect();
  await withDeadline(provider.isReady, deadlineMs, `connecting to chopsticks at ${url}`);

  const rpc = <T>(method: string, params: unknown[] = []) => provider.send<T>(method, params);
  const head = async () => {
    const header = await rpc<{ number: string }>('chain_getHeader', []);
    const hash = await rpc<`0x${string}`>('chain_getBlockHash', []);
    return { number: Number(header.number), hash };
  };
  const stopWith = async (signal: NodeJS.Signals) => {
    await provider.disconnect().catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await withDeadline(closed, 20_000, 'stopping chopsticks').catch(() => {
      child.kill('SIGKILL');
      return closed;
    });
  };
  return {
    url,
    port,
    rpc,
    async setStorage(storage) {
      await rpc('dev_setStorage', [storage]);
    },
    async newBlocks(n = 1) {
      if (n > 0) await rpc('dev_newBlock', [{ count: n }]);
      return (await head()).number;
    },
    head,
    async setHead(hash) {
      await rpc('dev_setHead', [hash]);
    },
    kill: () => stopWith('SIGKILL'),
    stop: () => stopWith('SIGTERM'),
    output: () => out,
  };
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

export const TEST_NETUID = 1;

/**
 * Storage for a subnet whose neurons are `hotkeys` in uid order, funded, with validator permits, and
 * the given hyperparameters. Values are in chopsticks' `dev_setStorage` shape.
 */
export function subnetStorage(netuid: number, hotkeys: KeyringPair[], hp: Partial<SubnetHyperparams> = {}): Record<string, Record<string, unknown>> {
  return {
    System: { Account: hotkeys.map((k) => [[k.address], { providers: 1, data: { free: 10n ** 15n } }]) },
    SubtensorModule: {
      // The genesis has neurons of its own: drop every registration first.
      $removePrefix: ['Uids', 'Keys'],
      NetworksAdded: [[[netuid], true]],
      SubnetworkN: [[[netuid], hotkeys.length]],
      Keys: hotkeys.map((k, uid) => [[netuid, uid], k.address]),
      Uids: hotkeys.map((k, uid) => [[netuid, k.address], le(uid, 2)]),
      ValidatorPermit: [[[netuid], hotkeys.map(() => true)]],
      Active: [[[netuid], hotkeys.map(() => true)]],
      LastUpdate: [[[netuid], hotkeys.map(() => 0)]],
      ...hyperparamStorage(netuid, hp).SubtensorModule,
    },
  };
}

/**
 * SCALE little-endian bytes as hex. Chopsticks deletes an entry whose value is falsy (0, false), so
 * numbers and booleans are always passed already encoded.
 */
export function le(value: number | bigint | boolean, bytes: number): `0x${string}` {
  let v = BigInt(typeof value === 'boolean' ? Number(value) : value);
  let hex = '';
  for (let i = 0; i < bytes; i++) {
    hex += (v & 0xffn).toString(16).padStart(2, '0');
    v >>= 8n;
  }
  return `0x${hex}`;
}

/** The storage items behind `SubnetHyperparams` (only the fields given), with their value widths. */
export function hyperparamStorage(netuid: number, hp: Partial<SubnetHyperparams>): { SubtensorModule: Record<string, unknown> } {
  const items: [keyof SubnetHyperparams, string, number][] = [
    ['tempo', 'Tempo', 2],
    ['weightsRateLimit', 'WeightsSetRateLimit', 8],
    ['weightsVersionKey', 'WeightsVersionKey', 8],
    ['commitRevealEnabled', 'CommitRevealWeightsEnabled', 1],
    ['revealPeriodEpochs', 'RevealPeriodEpochs', 8],
    ['minAllowedWeights', 'MinAllowedWeights', 2],
    ['maxAllowedUids', 'MaxAllowedUids', 2],
    ['maxWeightsLimit', 'MaxWeightsLimit', 2],
  ];
  const out: Record<string, unknown> = {};
  for (const [field, item, bytes] of items) {
    const value = hp[field];
    if (value !== undefined) out[item] = [[[netuid], le(value, bytes)]];
  }
  return { SubtensorModule: out };
}
