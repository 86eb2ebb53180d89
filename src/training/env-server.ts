/**
 * `kinitro env serve`: the evaluation environments for training, over a local socket
 * (docs/training.md). A client (the `kinitro_env` Python package) connects, says which environments
 * it wants (`hello`), then sends `reset` and `step` messages; each answer carries the observations as
 * raw arrays (wire.ts). One connection is one vector environment; several connections may share the
 * server, each with its own sub-environments.
 *
 * Where it listens: a Unix socket (default; the file is made 0600, so only its owner can connect) or
 * a TCP port on 127.0.0.1 (never another address). Privileged ground truth (`hello.privileged`) is
 * refused unless the server was started with `training: true` (`--training`): it exists for
 * teacher–student learning and reward shaping, and is never part of evaluation, which does not use
 * this server at all.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { DEFAULT_RANDOMIZATION, RANDOMIZATIONS } from '../sim/instance.ts';
import { resolveEnvSelection, type EnvId } from '../sim/registry.ts';
import {
  ACTION_HIGH,
  ACTION_LOW,
  ACTION_NAMES,
  ACTION_SIZE,
  CONTROL_FPS,
  PROPRIO_LAYOUT,
  PROPRIO_NAMES,
  type ObservationArrays,
  type VecStep,
} from './vec-env.ts';
import { openVecBackend, type VecBackend } from './sharded-vec.ts';
import { decodeBody, encodeMessage, FrameReader, type WireArrayData } from './wire.ts';

export const ENV_SERVER_PROTOCOL = 1;

export interface EnvServerOptions {
  /** Unix socket path (preferred), or… */
  socketPath?: string;
  /** …a TCP port on 127.0.0.1 (0 = any free port). */
  port?: number;
  /** Allow clients to ask for privileged ground truth (training only). */
  training?: boolean;
  /** Most sub-environments one connection may ask for. */
  maxEnvsPerConnection?: number;
  /** Threads each connection's vector is stepped on: the server's own and `threads − 1` workers (default: one per core, at most 2). */
  threads?: number;
  logger?: Logger;
}

export interface EnvServer {
  /** `unix:PATH` or `tcp:127.0.0.1:PORT`. */
  readonly address: string;
  close(): Promise<void>;
}

const helloSchema = z
  .object({
    op: z.literal('hello'),
    /** `all`, one env id, or a list of ids; sub-environment k runs ids[k % len]. */
    env: z.union([z.string(), z.array(z.string()).min(1)]),
    num_envs: z.number().int().min(1),
    images: z.boolean().default(true),
    max_steps: z.number().int().min(1).max(100_000).default(500),
    randomization: z.enum(RANDOMIZATIONS).default(DEFAULT_RANDOMIZATION),
    autoreset: z.enum(['next_step', 'same_step', 'disabled']).default('next_step'),
    privileged: z.boolean().default(false),
    protocol: z.number().int().optional(),
  })
  .strict();

const resetSchema = z.object({ op: z.literal('reset'), seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().default(null) }).strict();
const stepSchema = z.object({ op: z.literal('step') }).strict();
const closeSchema = z.object({ op: z.literal('close') }).strict();

/** Resolves the env selection of a hello: sub-environment k runs the k-th id (`all`: every environment), cyclically. */
export function resolveSelection(env: string | string[], numEnvs: number): EnvId[] {
  const ids = resolveEnvSelection(Array.isArray(env) ? env.join(',') : env);
  return Array.from({ length: numEnvs }, (_, k) => ids[k % ids.length]!);
}

function stepArrays(step: ObservationArrays, core: VecBackend, prefix = ''): { name: string; shape: number[]; data: WireArrayData }[] {
  const n = core.numEnvs;
  const c = core.cameras.length;
  const s = core.imageSize;
  const arrays: { name: string; shape: number[]; data: WireArrayData }[] = [{ name: `${prefix}proprio`, shape: [n, PROPRIO_NAMES.length], data: step.proprio }];
  if (step.rgb) {
    arrays.push({ name: `${prefix}rgb`, shape: [n, c, s, s, 3], data: step.rgb });
    arrays.push({ name: `${prefix}cam_intrinsics`, shape: [n, c, 3, 3], data: step.intrinsics! });
    arrays.push({ name: `${prefix}cam_extrinsics`, shape: [n, c, 4, 4], data: step.extrinsics! });
  }
  return arrays;
}

function encodeStep(op: string, step: VecStep, core: VecBackend): Buffer {
  const n = core.numEnvs;
  const arrays = [
    ...stepArrays(step, core),
    { name: 'reward', shape: [n], data: step.reward },
    { name: 'terminated', shape: [n], data: step.terminated },
    { name: 'truncated', shape: [n], data: step.truncated },
  ];
  const header: Record<string, unknown> = { op, info: step.info };
  if (step.final) {
    arrays.push(...stepArrays(step.final, core, 'final_'), { name: 'final_mask', shape: [n], data: step.final.mask });
    header.final_info = step.final.info;
  }
  return encodeMessage(header, arrays);
}

class Connection {
  private core: VecBackend | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly reader = new FrameReader();

  constructor(
    private readonly socket: net.Socket,
    private readonly options: Required<Pick<EnvServerOptions, 'training' | 'maxEnvsPerConnection' | 'threads'>>,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let bodies: Buffer[];
      try {
        bodies = this.reader.push(chunk);
      } catch (err) {
        this.fail((err as Error).message, true);
        return;
      }
      for (const body of bodies) this.queue = this.queue.then(() => this.handle(body));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.queue = this.queue.then(() => this.dispose());
    });
  }

  private send(message: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(message);
  }

  private fail(message: string, fatal: boolean): void {
    this.send(encodeMessage({ op: 'error', message }));
    if (fatal) this.socket.end();
  }

  private async dispose(): Promise<void> {
    const core = this.core;
    this.core = undefined;
    await core?.close();
  }

  private async handle(body: Buffer): Promise<void> {
    if (this.socket.destroyed) return;
    let message;
    try {
      message = decodeBody(body);
    } catch (err) {
      this.fail((err as Error).message, true);
      return;
    }
    const op = message.header.op;
    try {
      if (op === 'hello') return await this.hello(message.header);
      if (!this.core) return this.fail('send hello first', true);
      if (op === 'reset') {
        const { seed } = resetSchema.parse(message.header);
        return this.send(encodeStep('reset', await this.core.reset(seed), this.core));
      }
      if (op === 'step') {
        stepSchema.parse(message.header);
        const actions = message.arrays.find((a) => a.name === 'actions');
        if (!actions || actions.dtype !== 'float64' || actions.data.length !== this.core.numEnvs * ACTION_SIZE) {
          return this.fail(`step needs a float64 array "actions" of shape [${this.core.numEnvs}, ${ACTION_SIZE}]`, false);
        }
        return this.send(encodeStep('step', await this.core.step(actions.data as Float64Array), this.core));
      }
      if (op === 'close') {
        closeSchema.parse(message.header);
        await this.dispose();
        this.send(encodeMessage({ op: 'closed' }));
        this.socket.end();
        return;
      }
      this.fail(`unknown op ${JSON.stringify(op)}`, false);
    } catch (err) {
      const e = err as Error;
      this.fail(
        e instanceof z.ZodError
          ? `bad ${String(op)} message: ${e.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ')}`
          : e.message,
        false,
      );
    }
  }

  private async hello(header: Record<string, unknown>): Promise<void> {
    if (this.core) return this.fail('already initialised', false);
    const hello = helloSchema.parse(header);
    if (hello.privileged && !this.options.training) {
      return this.fail(
        'privileged state is served only by a server started in training mode (kinitro env serve --training); it is never part of evaluation',
        true,
      );
    }
    if (hello.num_envs > this.options.maxEnvsPerConnection)
      return this.fail(`at most ${this.options.maxEnvsPerConnection} environments per connection (--max-envs)`, true);
    const envIds = resolveSelection(hello.env, hello.num_envs);
    this.core = await openVecBackend(
      { envIds, images: hello.images, maxSteps: hello.max_steps, randomization: hello.randomization, autoreset: hello.autoreset, privileged: hello.privileged },
      this.options.threads,
    );
    this.logger.info({ numEnvs: hello.num_envs, envs: [...new Set(envIds)], images: hello.images, privileged: hello.privileged }, 'vector environment opened');
    const size = this.core.imageSize;
    this.send(
      encodeMessage({
        op: 'ready',
        protocol: ENV_SERVER_PROTOCOL,
        num_envs: this.core.numEnvs,
        env_ids: envIds,
        images: hello.images,
        cameras: this.core.cameras,
        image_shape: [size, size, 3],
        proprio: PROPRIO_LAYOUT.map(([name, width]) => ({ name, size: width })),
        proprio_names: PROPRIO_NAMES,
        action: { names: ACTION_NAMES, low: ACTION_LOW, high: ACTION_HIGH },
        max_steps: hello.max_steps,
        randomization: hello.randomization,
        autoreset: hello.autoreset,
        fps: CONTROL_FPS,
        training: this.options.training,
        privileged: hello.privileged,
      }),
    );
  }
}

export async function startEnvServer(options: EnvServerOptions): Promise<EnvServer> {
  const logger = options.logger ?? silentLogger;
  const settings = {
    training: options.training ?? false,
    maxEnvsPerConnection: options.maxEnvsPerConnection ?? 64,
    threads: options.threads ?? Math.min(2, os.availableParallelism()),
  };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Connection(socket, settings, logger);
  });
  let address: string;
  if (options.socketPath !== undefined) {
    const socketPath = options.socketPath;
    // A stale socket file from a crashed server would make listen fail; a live one must not be stolen.
    if (fs.existsSync(socketPath)) {
      const live = await new Promise<boolean>((resolve) => {
        const probe = net.connect(socketPath, () => {
          probe.destroy();
          resolve(true);
        });
        probe.on('error', () => resolve(false));
      });
      if (live) throw new Error(`${socketPath}: another server is listening there`);
      if (!fs.lstatSync(socketPath).isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
      fs.unlinkSync(socketPath);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    fs.chmodSync(socketPath, 0o600);
    address = `unix:${socketPath}`;
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const bound = server.address() as net.AddressInfo;
    address = `tcp:127.0.0.1:${bound.port}`;
  }
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
