/**
 * Micro-batching for the camera renderer. Episodes in a worker step independently, each as soon as
 * its miner answers; the ones that become ready in the same turn of the event loop ask for their
 * observation here and are drawn together in one renderer call, scheduled with `setImmediate` (after
 * the I/O callbacks of the current loop turn, so every response that arrived together joins).
 */
import type { CameraViews, ObservationRenderer } from './environment.ts';

interface Pending {
  scene: unknown;
  resolve(result: { views: CameraViews; ms: number }): void;
  reject(err: unknown): void;
}

export interface RenderBatchStats {
  batches: number;
  scenes: number;
  largestBatch: number;
  renderMs: number;
}

export class RenderBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  readonly stats: RenderBatchStats = { batches: 0, scenes: 0, largestBatch: 0, renderMs: 0 };

  constructor(
    private readonly renderer: ObservationRenderer,
    /** Most scenes per renderer call; larger queues are split. */
    private readonly maxBatch = 64,
  ) {}

  /**
   * Resolves with the scene's camera views and this scene's share of the batch's render time. The
   * caller must not change the scene until the promise settles.
   */
  render(scene: unknown): Promise<{ views: CameraViews; ms: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ scene, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const started = performance.now();
      let views: CameraViews[];
      try {
        views = await this.renderer.render(batch.map((p) => p.scene));
        if (views.length !== batch.length) throw new Error(`renderer returned ${views.length} views for ${batch.length} scenes`);
      } catch (err) {
        for (const p of batch) p.reject(err);
        continue;
      }
      const ms = performance.now() - started;
      this.stats.batches += 1;
      this.stats.scenes += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      this.stats.renderMs += ms;
      const share = ms / batch.length;
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve({ views: views[i]!, ms: share });
    }
  }
}
