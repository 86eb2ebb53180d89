/**
 * The one interface the rest of kinitro uses to talk to a chain. Two implementations:
 * `SubtensorChain` (a real node over WebSocket, @polkadot/api) and `LocalChain` (an embedded chain
 * persisted in the store, for single-machine deployments and tests). Both enforce the same rules and
 * raise the same errors (`ChainModuleError` with Subtensor's pallet/error names), so callers cannot
 * tell them apart except through `kind`.
 *
 * Writes resolve once the extrinsic is included in a block (like the original's
 * `wait_for_inclusion=True`) and reject with a `ChainModuleError` when the runtime rejected it.
 */
import type {
  BlockRef,
  ChainSnapshot,
  HexString,
  HotkeySigner,
  NeuronWeights,
  RevealPayload,
  RuntimeInfo,
  Ss58,
  SubnetHyperparams,
  TimelockedCommitInfo,
  TimelockedPayload,
  TxReceipt,
  ValidatorView,
  WeightCommitInfo,
  WeightsPayload,
} from './types.ts';
import type { Purpose } from './runtime-schema.ts';

export interface ChainClient {
  readonly kind: 'subtensor' | 'local';
  /** Human-readable target, e.g. `ws://127.0.0.1:9944` or `local:data/kinitro.sqlite`. */
  readonly description: string;

  /** Identifies the chain (its genesis hash), so logs and submission records never mix networks. */
  chainId(): Promise<HexString>;

  /** The runtime's name and spec version (the LocalChain reports its own). */
  runtime(): RuntimeInfo;

  /**
   * Refuses (`UnsupportedRuntimeError`, naming each item) a runtime that lacks a call or storage item
   * the purposes need, or has it in a layout kinitro cannot read. A no-op for the LocalChain.
   */
  requireRuntime(purposes: Purpose[]): void;

  /** The block reads are pinned at (finalized head for Subtensor by default; the clock's head locally). */
  head(): Promise<BlockRef>;

  /** Neurons, commitments (with their commit block) and hyperparameters, all read at one block. */
  snapshot(netuid: number, at?: BlockRef): Promise<ChainSnapshot>;

  hyperparams(netuid: number): Promise<SubnetHyperparams>;

  uidOf(netuid: number, hotkey: Ss58): Promise<number | null>;

  /** What a validator needs for one decision, read at the best block. */
  validatorView(netuid: number, hotkey: Ss58): Promise<ValidatorView>;

  /** Weights currently on chain, per validator uid that has set any. */
  weights(netuid: number): Promise<NeuronWeights[]>;

  weightCommits(netuid: number, hotkey: Ss58): Promise<WeightCommitInfo[]>;

  /** `Commitments.set_commitment(netuid, {fields: [Raw(data)]})`; data ≤ 128 bytes of UTF-8. */
  setCommitment(netuid: number, signer: HotkeySigner, data: string): Promise<TxReceipt>;

  /** `SubtensorModule.set_weights(netuid, uids, values, version_key)`. */
  setWeights(netuid: number, signer: HotkeySigner, payload: WeightsPayload): Promise<TxReceipt>;

  /** `SubtensorModule.commit_weights(netuid, hash)` (hash-based commit-reveal, CR-v2). */
  commitWeights(netuid: number, signer: HotkeySigner, commitHash: HexString): Promise<TxReceipt>;

  /** `SubtensorModule.reveal_weights(netuid, uids, values, salt, version_key)`. */
  revealWeights(netuid: number, signer: HotkeySigner, payload: RevealPayload): Promise<TxReceipt>;

  /** `SubtensorModule.commit_timelocked_weights(netuid, commit, reveal_round, commit_reveal_version)` (CR v3/v4). */
  commitTimelockedWeights(netuid: number, signer: HotkeySigner, payload: TimelockedPayload): Promise<TxReceipt>;

  /** This hotkey's timelocked commits not yet revealed by the chain. */
  timelockedCommits(netuid: number, hotkey: Ss58): Promise<TimelockedCommitInfo[]>;

  /** Drops and re-establishes the connection (no-op for the LocalChain). */
  reconnect(): Promise<void>;

  close(): Promise<void>;
}
