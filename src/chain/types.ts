/**
 * Chain-facing types shared by the `ChainClient` implementations, discovery and the validator.
 * Block numbers are plain numbers (Subtensor's BlockNumber is u32); u64 chain values (version key,
 * rate limit) are read as numbers and refused when they exceed Number.MAX_SAFE_INTEGER.
 */
import type { IKeyringPair } from '@polkadot/types/types';

export type Ss58 = string;
export type HexString = `0x${string}`;

/** Anything that can sign as a hotkey: a `@polkadot/keyring` sr25519 pair. */
export type HotkeySigner = IKeyringPair;

export interface BlockRef {
  number: number;
  hash: HexString;
}

export interface Neuron {
  uid: number;
  hotkey: Ss58;
}

/** A commitment joined with the neuron that owns it. `block` is the block it was (last) committed at. */
export interface ChainCommitment {
  uid: number;
  hotkey: Ss58;
  /** The first field decoded as UTF-8 (invalid bytes dropped, as the original does); '' when unusable. */
  data: string;
  block: number;
}

/** The subnet hyperparameters the appliance acts on (Subtensor storage names in comments). */
export interface SubnetHyperparams {
  /** `Tempo`: blocks per epoch minus one. */
  tempo: number;
  /** `WeightsSetRateLimit`: blocks between two weight submissions of one uid. */
  weightsRateLimit: number;
  /** `WeightsVersionKey`: submissions must pass a version key ≥ this (0 = unchecked). */
  weightsVersionKey: number;
  /** `CommitRevealWeightsEnabled`. */
  commitRevealEnabled: boolean;
  /** `RevealPeriodEpochs`: a commit is revealed exactly this many epochs later. */
  revealPeriodEpochs: number;
  /** `MaxAllowedUids`. */
  maxAllowedUids: number;
  /** `MinAllowedWeights`. */
  minAllowedWeights: number;
  /** `MaxWeightsLimit` (u16, 65535 = unlimited). */
  maxWeightsLimit: number;
}

/**
 * How weights can be set on this subnet: directly (`off`), by hash-based commit-reveal (`v2`, the
 * runtime still has `commit_weights`/`reveal_weights`), or only by drand-timelocked commits
 * (`timelocked-only`).
 */
export type CommitRevealMode = 'off' | 'v2' | 'timelocked-only';

/** The runtime accepts `commit_timelocked_weights` with this `commit_reveal_version` (`CommitRevealWeightsVersion`). */
export interface TimelockSupport {
  version: number;
}

/** The runtime a client is connected to. */
export interface RuntimeInfo {
  specName: string;
  specVersion: number;
}

export interface ChainSnapshot {
  netuid: number;
  block: number;
  blockHash: HexString;
  neurons: Neuron[];
  commitments: ChainCommitment[];
  hyperparams: SubnetHyperparams;
  commitReveal: CommitRevealMode;
}

/** Everything the validator needs for one decision, read at one block. */
export interface ValidatorView {
  block: number;
  blockHash: HexString;
  /** The hotkey's uid, or null when it is not registered on the subnet. */
  uid: number | null;
  /** `LastUpdate[uid]` (0 = never). */
  lastUpdate: number;
  /** `SubnetworkN`. */
  subnetN: number;
  hyperparams: SubnetHyperparams;
  commitReveal: CommitRevealMode;
  /** Whether (and with which version) the runtime takes timelocked commits; null when it does not. */
  timelock: TimelockSupport | null;
  /** Unrevealed hash commits of this hotkey (oldest first). */
  pendingCommits: WeightCommitInfo[];
  /** This hotkey's timelocked commits the chain has not revealed yet (oldest first). */
  pendingTimelocked: TimelockedCommitInfo[];
}

export interface TxReceipt {
  /** The block that included the extrinsic. */
  block: number;
  blockHash: HexString;
}

export interface WeightsPayload {
  uids: number[];
  values: number[];
  versionKey: number;
}

export interface RevealPayload extends WeightsPayload {
  salt: number[];
}

export interface WeightCommitInfo {
  hash: HexString;
  commitBlock: number;
  /** First and last block in which the reveal is accepted, when the runtime records them. */
  firstRevealBlock: number | null;
  lastRevealBlock: number | null;
}

/** `commit_timelocked_weights(netuid, commit, reveal_round, commit_reveal_version)`. */
export interface TimelockedPayload {
  /** The ark-serialized timelock ciphertext of the SCALE-encoded `WeightsTlockPayload`. */
  commit: Uint8Array;
  revealRound: number;
  version: number;
}

export interface TimelockedCommitInfo {
  /** blake2-256 of the committed ciphertext (what the validator records to recognise its own commit). */
  hash: HexString;
  commitBlock: number;
  /** The epoch the chain files it under (it is revealed `RevealPeriodEpochs` later). */
  epoch: number;
  revealRound: number;
}

export interface NeuronWeights {
  uid: number;
  hotkey: Ss58;
  lastUpdate: number;
  weights: { uid: number; value: number }[];
}
