/**
 * A vector environment split over worker threads: with W shards, shard w owns the sub-environments
 * k with k mod W = w. Shard 0 runs in the calling (server's) thread, the others each in a worker
 * thread: a step posts the workers their actions, steps shard 0 meanwhile and then waits for them.
 * Keeping a share in the server's thread saves two thread wake-ups per step, which on a busy machine
 * cost more than the share (measured: a separate worker for every shard was slower from Python than
 * a single thread at load 5 on two cores). Strided rather than contiguous because `all` cycles through
 * the env ids and their costs differ up to threefold (the puck scenes are the dearest): contiguous
 * halves put the dear ones together and every step waits for the slower shard. With one shard
 * everything runs in the calling thread. Results are the same however the vector is split
 * (instances follow each sub-environment's placement).
 */
import { Worker } from 'node:worker_threads';
import { placements, VecEnvCore, type ObservationArrays, type VecEnvConfig, type VecInfo, type VecStep } from './vec-env.ts';
import { ACTION_SIZE } from './vec-env.ts';
import { DEFAULT_CAMERAS, DEFAULT_IMAGE_SIZE } from '../sim/render/index.ts';

const BOOTSTRAP_URL = new URL('./worker-bootstrap.mjs', import.meta.url);

export interface VecBackend {
  readonly numEnvs: number;
  readonly cameras: readonly string[];
  readonly imageSize: number;
  reset(seed: number | null): Promise<VecStep>;
  step(actions: Float64Array): Promise<VecStep>;
  close(): Promise<void>;
}

class LocalBackend implements VecBackend {
  constructor(private readonly core: VecEnvCore) {}
  get numEnvs() {
    return this.core.numEnvs;
  }
  get cameras() {
    return this.core.cameras;
  }
  get imageSize() {
    return this.core.imageSize;
  }
  async reset(seed: number | null) {
    return this.core.reset(seed);
  }
  async step(actions: Float64Array) {
    return this.core.step(actions);
  }
  async close() {
    this.core.close();
  }
}

interface Shard {
  /** The sub-environments this shard owns, in its own order. */
  readonly indices: readonly number[];
  request(message: ShardRequest, transfer?: ArrayBuffer[]): Promise<VecStep>;
  close(): Promise<void>;
}

type ShardRequest = { op: 'reset'; seed: number | null } | { op: 'step'; actions: Float64Array };

/** The share stepped in the calling thread (synchronously, when asked). */
class LocalShard implements Shard {
  constructor(
    private readonly core: VecEnvCore,
    readonly indices: readonly number[],
  ) {}

  request(message: ShardRequest): Promise<VecStep> {
    try {
      return Promise.resolve(message.op === 'reset' ? this.core.reset(message.seed) : this.core.step(message.actions));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  async close(): Promise<void> {
    this.core.close();
  }
}

class WorkerShard implements Shard {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: VecStep) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(
    readonly worker: Worker,
    /** The sub-environments this shard owns, in its own order. */
    readonly indices: readonly number[],
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    worker.on('message', (m: { id: number; ok: boolean; step?: VecStep; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.step as VecStep);
      else p.reject(new Error(m.error ?? 'shard error'));
    });
    const failAll = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`env shard exited (${code})`)));
  }

  request(message: ShardRequest | { op: 'close' }, transfer: ArrayBuffer[] = []): Promise<VecStep> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }

  async close(): Promise<void> {
    await this.request({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

type Row = Float64Array | Uint8Array;

/** Copies each shard's rows (one per owned sub-environment) to those sub-environments' rows of `into`. */
function scatterRows(parts: readonly (Row | undefined)[], owners: readonly (readonly number[])[], into: Row | undefined): void {
  if (!into) return;
  parts.forEach((src, s) => {
    const indices = owners[s]!;
    if (!src || indices.length === 0) return;
    const width = src.length / indices.length;
    indices.forEach((k, j) => into.set(src.subarray(j * width, (j + 1) * width) as never, k * width));
  });
}

function scatterObs(parts: readonly ObservationArrays[], owners: readonly (readonly number[])[], into: ObservationArrays): void {
  for (const key of ['proprio', 'rgb', 'intrinsics', 'extrinsics'] as const)
    scatterRows(
      parts.map((p) => p[key]),
      owners,
      into[key],
    );
}

function scatterList<T>(parts: readonly (readonly T[])[], owners: readonly (readonly number[])[], n: number): T[] {
  const out = new Array<T>(n);
  parts.forEach((list, s) => owners[s]!.forEach((k, j) => (out[k] = list[j]!)));
  return out;
}

class ShardedBackend implements VecBackend {
  constructor(
    private readonly shards: Shard[],
    readonly numEnvs: number,
    readonly cameras: readonly string[],
    readonly imageSize: number,
  ) {}

  private merge(parts: VecStep[]): VecStep {
    const n = this.numEnvs;
    const owners = this.shards.map((s) => s.indices);
    const total = <T extends Row>(make: new (size: number) => T, pick: (s: ObservationArrays) => T | undefined): T =>
      new make(parts.reduce((m, p) => m + pick(p)!.length, 0));
    const emptyObs = (): ObservationArrays => ({
      proprio: total(Float64Array, (s) => s.proprio),
      ...(parts[0]!.rgb
        ? { rgb: total(Uint8Array, (s) => s.rgb), intrinsics: total(Float64Array, (s) => s.intrinsics), extrinsics: total(Float64Array, (s) => s.extrinsics) }
        : {}),
    });
    const out: VecStep = {
      ...emptyObs(),
      reward: new Float64Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      info: mergeInfo(
        parts.map((p) => p.info),
        owners,
        n,
      ),
    };
    scatterObs(parts, owners, out);
    scatterRows(
      parts.map((p) => p.reward),
      owners,
      out.reward,
    );
    scatterRows(
      parts.map((p) => p.terminated),
      owners,
      out.terminated,
    );
    scatterRows(
      parts.map((p) => p.truncated),
      owners,
      out.truncated,
    );
    if (parts.some((p) => p.final)) {
      // Shards without an ended sub-environment this step send no final arrays: use their current ones, masked out.
      const finals = parts.map(
        (p) =>
          p.final ?? {
            ...p,
            mask: new Uint8Array(p.reward.length),
            info: { success: p.info.success, violation: p.info.violation, ...(p.info.privileged ? { privileged: p.info.privileged } : {}) },
          },
      );
      const final = {
        ...emptyObs(),
        mask: new Uint8Array(n),
        info: {
          success: scatterList(
            finals.map((f) => f.info.success),
            owners,
            n,
          ),
          violation: scatterList(
            finals.map((f) => f.info.violation),
            owners,
            n,
          ),
          ...(out.info.privileged
            ? {
                privileged: scatterList(
                  finals.map((f) => f.info.privileged ?? []),
                  owners,
                  n,
                ),
              }
            : {}),
        },
      };
      scatterObs(finals, owners, final);
      scatterRows(
        finals.map((f) => f.mask),
        owners,
        final.mask,
      );
      out.final = final;
    }
    return out;
  }

  /** Sends each shard its request, the workers' first so that they run while shard 0 runs here. */
  private async fanOut(make: (shard: Shard) => { message: ShardRequest; transfer?: ArrayBuffer[] }): Promise<VecStep> {
    const pending = new Array<Promise<VecStep>>(this.shards.length);
    for (let i = this.shards.length - 1; i >= 0; i--) {
      const { message, transfer } = make(this.shards[i]!);
      pending[i] = this.shards[i]!.request(message, transfer);
    }
    return this.merge(await Promise.all(pending));
  }

  reset(seed: number | null): Promise<VecStep> {
    return this.fanOut(() => ({ message: { op: 'reset', seed } }));
  }

  step(actions: Float64Array): Promise<VecStep> {
    return this.fanOut((s) => {
      const rows = new Float64Array(s.indices.length * ACTION_SIZE);
      s.indices.forEach((k, j) => rows.set(actions.subarray(k * ACTION_SIZE, (k + 1) * ACTION_SIZE), j * ACTION_SIZE));
      return { message: { op: 'step', actions: rows }, transfer: [rows.buffer] };
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}

function mergeInfo(infos: VecInfo[], owners: readonly (readonly number[])[], n: number): VecInfo {
  const keys = ['success', 'violation', 'episode_steps', 'episode', 'reset', 'error'] as const;
  const out = Object.fromEntries(
    keys.map((k) => [
      k,
      scatterList(
        infos.map((i) => i[k] as unknown[]),
        owners,
        n,
      ),
    ]),
  ) as unknown as VecInfo;
  if (infos[0]!.privileged)
    out.privileged = scatterList(
      infos.map((i) => i.privileged ?? []),
      owners,
      n,
    );
  return out;
}

/** A vector environment over `shards` threads: this one and `shards − 1` workers (1 = in this thread only). */
export async function openVecBackend(config: VecEnvConfig, shards: number): Promise<VecBackend> {
  const n = config.envIds.length;
  const w = Math.max(1, Math.min(shards, n));
  if (w === 1) return new LocalBackend(await VecEnvCore.create(config));
  const placement = placements(config.envIds);
  const share = (i: number) => {
    const indices = [...Array(n).keys()].filter((k) => k % w === i);
    return { indices, config: { ...config, envIds: indices.map((k) => config.envIds[k]!), placement: indices.map((k) => placement[k]!) } as VecEnvConfig };
  };
  const workers: WorkerShard[] = [];
  for (let i = 1; i < w; i++) {
    const { indices, config: slice } = share(i);
    workers.push(new WorkerShard(new Worker(BOOTSTRAP_URL, { workerData: slice, name: `kinitro-env-shard-${i}` }), indices));
  }
  const first = share(0);
  const [core, ...ready] = await Promise.allSettled([VecEnvCore.create(first.config), ...workers.map((s) => s.ready)]);
  const failed = [core!, ...ready].find((r) => r.status === 'rejected');
  if (core!.status === 'rejected' || failed) {
    if (core!.status === 'fulfilled') core!.value.close();
    await Promise.all(workers.map((s) => s.worker.terminate()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return new ShardedBackend([new LocalShard(core!.value, first.indices), ...workers], n, config.images ? DEFAULT_CAMERAS : [], DEFAULT_IMAGE_SIZE);
}
