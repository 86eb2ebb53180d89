/**
 * A vector environment split over worker threads: shard w owns a contiguous slice of the
 * sub-environments and steps it in its own thread, so a vector uses the machine's cores while the
 * server's thread only moves bytes. With one shard everything runs in the calling thread. Results
 * are the same however the vector is split (instances follow each sub-environment's placement).
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

class Shard {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: VecStep) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(
    readonly worker: Worker,
    readonly start: number,
    readonly count: number,
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

  request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<VecStep> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }
}

function concatObs(parts: ObservationArrays[], into: ObservationArrays): void {
  const keys = ['proprio', 'rgb', 'intrinsics', 'extrinsics'] as const;
  for (const key of keys) {
    const target = into[key];
    if (!target) continue;
    let at = 0;
    for (const p of parts) {
      const src = p[key]!;
      (target as Float64Array | Uint8Array).set(src as never, at);
      at += src.length;
    }
  }
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
    const alloc = <T extends Float64Array | Uint8Array>(make: new (size: number) => T, pick: (s: VecStep) => T | undefined): T | undefined => {
      const first = pick(parts[0]!);
      return first ? new make(parts.reduce((m, p) => m + pick(p)!.length, 0)) : undefined;
    };
    const out: VecStep = {
      proprio: alloc(Float64Array, (s) => s.proprio)!,
      ...(parts[0]!.rgb ? { rgb: alloc(Uint8Array, (s) => s.rgb)!, intrinsics: alloc(Float64Array, (s) => s.intrinsics)!, extrinsics: alloc(Float64Array, (s) => s.extrinsics)! } : {}),
      reward: new Float64Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      info: mergeInfo(parts.map((p) => p.info)),
    };
    concatObs(parts, out);
    let at = 0;
    for (const p of parts) {
      out.reward.set(p.reward, at);
      out.terminated.set(p.terminated, at);
      out.truncated.set(p.truncated, at);
      at += p.reward.length;
    }
    if (parts.some((p) => p.final)) {
      // Shards without an ended sub-environment this step send no final arrays: use their current ones, masked out.
      const finals = parts.map((p) => p.final ?? { ...p, mask: new Uint8Array(p.reward.length), info: { success: p.info.success, violation: p.info.violation, ...(p.info.privileged ? { privileged: p.info.privileged } : {}) } });
      const final = { proprio: new Float64Array(out.proprio.length), ...(out.rgb ? { rgb: new Uint8Array(out.rgb.length), intrinsics: new Float64Array(out.intrinsics!.length), extrinsics: new Float64Array(out.extrinsics!.length) } : {}), mask: new Uint8Array(n), info: { success: finals.flatMap((f) => f.info.success), violation: finals.flatMap((f) => f.info.violation), ...(out.info.privileged ? { privileged: finals.flatMap((f) => f.info.privileged ?? []) } : {}) } };
      concatObs(finals, final);
      let m = 0;
      for (const f of finals) {
        final.mask.set(f.mask, m);
        m += f.mask.length;
      }
      out.final = final;
    }
    return out;
  }

  async reset(seed: number | null): Promise<VecStep> {
    return this.merge(await Promise.all(this.shards.map((s) => s.request({ op: 'reset', seed }))));
  }

  async step(actions: Float64Array): Promise<VecStep> {
    return this.merge(
      await Promise.all(
        this.shards.map((s) => {
          const slice = actions.slice(s.start * ACTION_SIZE, (s.start + s.count) * ACTION_SIZE);
          return s.request({ op: 'step', actions: slice }, [slice.buffer]);
        }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.request({ op: 'close' }).catch(() => undefined)));
    await Promise.all(this.shards.map((s) => s.worker.terminate()));
  }
}

function mergeInfo(infos: VecInfo[]): VecInfo {
  const keys = ['success', 'violation', 'episode_steps', 'episode', 'reset', 'error'] as const;
  const out = Object.fromEntries(keys.map((k) => [k, infos.flatMap((i) => i[k] as unknown[])])) as unknown as VecInfo;
  if (infos[0]!.privileged) out.privileged = infos.flatMap((i) => i.privileged ?? []);
  return out;
}

/** A vector environment over `shards` threads (1 = in this thread). */
export async function openVecBackend(config: VecEnvConfig, shards: number): Promise<VecBackend> {
  const n = config.envIds.length;
  const w = Math.max(1, Math.min(shards, n));
  if (w === 1) return new LocalBackend(await VecEnvCore.create(config));
  const placement = placements(config.envIds);
  const list: Shard[] = [];
  let start = 0;
  for (let i = 0; i < w; i++) {
    const count = Math.floor(n / w) + (i < n % w ? 1 : 0);
    const slice: VecEnvConfig = { ...config, envIds: config.envIds.slice(start, start + count), placement: placement.slice(start, start + count) };
    list.push(new Shard(new Worker(BOOTSTRAP_URL, { workerData: slice, name: `kinitro-env-shard-${i}` }), start, count));
    start += count;
  }
  try {
    await Promise.all(list.map((s) => s.ready));
  } catch (err) {
    await Promise.all(list.map((s) => s.worker.terminate()));
    throw err;
  }
  const images = config.images;
  return new ShardedBackend(list, n, images ? DEFAULT_CAMERAS : [], DEFAULT_IMAGE_SIZE);
}
