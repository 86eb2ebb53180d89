/**
 * A worker thread that owns one shard of a vector environment (sharded-vec.ts): a VecEnvCore over a
 * strided share of the sub-environments, driven by reset/step messages from the server's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VecEnvCore, type VecEnvConfig, type VecStep } from './vec-env.ts';

type Request = { id: number; op: 'reset'; seed: number | null } | { id: number; op: 'step'; actions: Float64Array } | { id: number; op: 'close' };

function buffersOf(step: VecStep): ArrayBuffer[] {
  const out = [
    step.proprio,
    step.rgb,
    step.intrinsics,
    step.extrinsics,
    step.reward,
    step.terminated,
    step.truncated,
    step.final?.proprio,
    step.final?.rgb,
    step.final?.intrinsics,
    step.final?.extrinsics,
    step.final?.mask,
  ];
  return out.filter((a): a is NonNullable<typeof a> => a !== undefined).map((a) => a.buffer as ArrayBuffer);
}

const port = parentPort!;
let core: VecEnvCore | undefined;
try {
  core = await VecEnvCore.create(workerData as VecEnvConfig);
  port.postMessage({ id: 0, ok: true });
} catch (err) {
  port.postMessage({ id: 0, ok: false, error: (err as Error).message });
}

port.on('message', (request: Request) => {
  try {
    if (!core) throw new Error('the shard failed to start');
    if (request.op === 'close') {
      core.close();
      port.postMessage({ id: request.id, ok: true });
      port.close();
      return;
    }
    const step = request.op === 'reset' ? core.reset(request.seed) : core.step(request.actions);
    port.postMessage({ id: request.id, ok: true, step }, buffersOf(step));
  } catch (err) {
    port.postMessage({ id: request.id, ok: false, error: (err as Error).message });
  }
});
