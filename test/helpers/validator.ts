/** Shared by the validator test files: a published WeightsResponse, and a chain wrapper that injects failures. */
import { ChainConnectionError, ChainTimeoutError } from '../../src/chain/errors.ts';
import type { ChainClient } from '../../src/chain/client.ts';
import type { WeightsResponse } from '../../src/validator/weights-source.ts';

export function weightsAt(block: number, uids: number[], values: number[], cycle = block): WeightsResponse {
  const total = values.reduce((a, b) => a + b, 0);
  return {
    cycle_id: cycle,
    block_number: block,
    timestamp: '2026-01-01T00:00:00Z',
    weights: Object.fromEntries(uids.map((u, i) => [String(u), values[i]! / total])),
    weights_u16: { uids, values },
    metadata: { n_miners_evaluated: uids.length, n_environments: 1, evaluation_duration_seconds: 1 },
  };
}

/** Delegates to a chain, with hooks to inject failures. */
export class FaultyChain implements ChainClient {
  readonly kind;
  readonly description = 'faulty';
  reconnects = 0;
  viewFailures = 0;
  /** 'applied-then-timeout': the tx lands but the caller sees a timeout; 'lost': it never lands. */
  nextSetWeights: 'ok' | 'applied-then-timeout' | 'lost' = 'ok';
  frozenView: Awaited<ReturnType<ChainClient['validatorView']>> | null = null;
  constructor(readonly inner: ChainClient) {
    this.kind = inner.kind;
  }
  chainId() {
    return this.inner.chainId();
  }
  head() {
    return this.inner.head();
  }
  snapshot(n: number) {
    return this.inner.snapshot(n);
  }
  hyperparams(n: number) {
    return this.inner.hyperparams(n);
  }
  uidOf(n: number, h: string) {
    return this.inner.uidOf(n, h);
  }
  async validatorView(n: number, h: string) {
    if (this.viewFailures > 0) {
      this.viewFailures--;
      throw new ChainConnectionError('socket hang up');
    }
    return this.frozenView ?? this.inner.validatorView(n, h);
  }
  weights(n: number) {
    return this.inner.weights(n);
  }
  weightCommits(n: number, h: string) {
    return this.inner.weightCommits(n, h);
  }
  setCommitment(...a: Parameters<ChainClient['setCommitment']>) {
    return this.inner.setCommitment(...a);
  }
  async setWeights(...a: Parameters<ChainClient['setWeights']>) {
    const mode = this.nextSetWeights;
    this.nextSetWeights = 'ok';
    if (mode === 'lost') throw new ChainTimeoutError('set_weights was not included within 120000 ms');
    const receipt = await this.inner.setWeights(...a);
    if (mode === 'applied-then-timeout') throw new ChainTimeoutError('set_weights was not included within 120000 ms');
    return receipt;
  }
  commitWeights(...a: Parameters<ChainClient['commitWeights']>) {
    return this.inner.commitWeights(...a);
  }
  revealWeights(...a: Parameters<ChainClient['revealWeights']>) {
    return this.inner.revealWeights(...a);
  }
  commitTimelockedWeights(...a: Parameters<ChainClient['commitTimelockedWeights']>) {
    return this.inner.commitTimelockedWeights(...a);
  }
  timelockedCommits(n: number, h: string) {
    return this.inner.timelockedCommits(n, h);
  }
  runtime() {
    return this.inner.runtime();
  }
  requireRuntime(p: Parameters<ChainClient['requireRuntime']>[0]) {
    this.inner.requireRuntime(p);
  }
  async reconnect() {
    this.reconnects++;
  }
  close() {
    return this.inner.close();
  }
}
