/**
 * Subtensor's rules as the LocalChain (local-chain.ts) runs them on its store: each extrinsic's
 * checks in the runtime's order, raising its error names, and the state it writes at block `n` (the
 * LocalChain wraps each in one extrinsic: transaction, savepoint, record, inclusion wait); the block
 * hash chain; and the bounds of subnet parameters.
 */
import { u8aConcat, u8aToHex, hexToU8a } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import type { LocalChainStore, SubnetRow } from '../store/local-chain.ts';
import { ChainModuleError, ChainSubmitError } from './errors.ts';
import type { HexString, RevealPayload, SubnetHyperparams, WeightsPayload } from './types.ts';
import {
  checkWeightsVector,
  commitHashV2,
  epochIndex,
  MAX_UNREVEALED_COMMITS,
  maxUpscaleU16,
  nextAllowedBlock,
  rateLimitAllows,
  revealWindow,
  U16_MAX,
} from './weights.ts';

/** Subtensor's commitment space budget per (netuid, hotkey) per epoch, and the minimum charge per call. */
const COMMITMENT_MAX_SPACE = 3100;
const ZERO32 = new Uint8Array(32);

/** `Commitments.set_commitment` by `who`. */
export function applySetCommitment(store: LocalChainStore, netuid: number, who: string, n: number, bytes: Uint8Array): void {
  const subnet = store.subnet(netuid);
  if (!subnet || !store.neuronByHotkey(netuid, who, n)) {
    throw new ChainModuleError('Commitments', 'AccountNotAllowedCommit', `${who} is not registered on netuid ${netuid}`);
  }
  const epoch = epochIndex(n, netuid, subnet.tempo);
  const epochStart = Math.max(0, epoch * (subnet.tempo + 1) - netuid - 1);
  const used = store.commitmentBytesBetween(netuid, who, epochStart, n);
  if (used + Math.max(100, bytes.length) > COMMITMENT_MAX_SPACE) {
    throw new ChainModuleError('Commitments', 'SpaceLimitExceeded', `${used} of ${COMMITMENT_MAX_SPACE} bytes used this epoch`);
  }
  store.putCommitment(netuid, who, n, bytes);
}

/** `SubtensorModule.set_weights` by `who`. */
export function applySetWeights(store: LocalChainStore, netuid: number, who: string, n: number, payload: WeightsPayload): void {
  const subnet = requireSubnetAt(store, netuid);
  if (subnet.commitRevealEnabled) throw new ChainModuleError('SubtensorModule', 'CommitRevealEnabled', `netuid ${netuid}`);
  internalSetWeights(store, subnet, who, payload, n, true);
}

/** `SubtensorModule.commit_weights` by `who`. */
export function applyCommitWeights(store: LocalChainStore, netuid: number, who: string, n: number, commitHash: HexString): void {
  const subnet = requireSubnetAt(store, netuid);
  if (!subnet.commitRevealEnabled) throw new ChainModuleError('SubtensorModule', 'CommitRevealDisabled', `netuid ${netuid}`);
  const neuron = store.neuronByHotkey(netuid, who, n);
  if (!neuron) throw new ChainModuleError('SubtensorModule', 'HotKeyNotRegisteredInSubNet', `${who} on netuid ${netuid}`);
  const last = store.lastUpdate(netuid, neuron.uid, n);
  if (!rateLimitAllows(last, n, subnet.weightsRateLimit)) {
    throw new ChainModuleError('SubtensorModule', 'CommittingWeightsTooFast', rateLimitContext(last, n, subnet.weightsRateLimit));
  }
  const queue = dropExpired(store, subnet, who, n).queue;
  if (queue.length >= MAX_UNREVEALED_COMMITS) throw new ChainModuleError('SubtensorModule', 'TooManyUnrevealedCommits');
  const window = revealWindow(n, netuid, subnet);
  store.insertWeightCommit(netuid, who, commitHash.toLowerCase(), n, window.firstBlock, window.lastBlock);
  store.putLastUpdate(netuid, neuron.uid, n);
}

/** `SubtensorModule.reveal_weights` by `who`. */
export function applyRevealWeights(store: LocalChainStore, netuid: number, who: string, n: number, payload: RevealPayload): void {
  const subnet = requireSubnetAt(store, netuid);
  if (!subnet.commitRevealEnabled) throw new ChainModuleError('SubtensorModule', 'CommitRevealDisabled', `netuid ${netuid}`);
  if (store.weightCommits(netuid, who, n).length === 0) throw new ChainModuleError('SubtensorModule', 'NoWeightsCommitFound');
  const { queue, expiredHashes } = dropExpired(store, subnet, who, n);
  const provided = commitHashV2({ hotkey: who, netuidIndex: netuid, ...payload });
  const position = queue.findIndex((c) => c.hash === provided);
  if (position < 0) {
    throw new ChainModuleError('SubtensorModule', expiredHashes.includes(provided) ? 'ExpiredWeightCommit' : 'InvalidRevealCommitHashNotMatch');
  }
  const commit = queue[position]!;
  if (epochIndex(n, netuid, subnet.tempo) !== epochIndex(commit.commitBlock, netuid, subnet.tempo) + subnet.revealPeriodEpochs) {
    throw new ChainModuleError('SubtensorModule', 'RevealTooEarly', `reveal window is blocks ${commit.firstRevealBlock}–${commit.lastRevealBlock}; now ${n}`);
  }
  queue.slice(0, position + 1).forEach((c, i) => store.removeWeightCommit(c.id, n, i === position ? 'revealed' : 'superseded'));
  internalSetWeights(store, subnet, who, payload, n, false);
}

/** Removes expired commits from the front of the queue (as the runtime does before commit/reveal). */
function dropExpired(store: LocalChainStore, subnet: SubnetRow, who: string, n: number) {
  const queue = store.weightCommits(subnet.netuid, who, n);
  const expiredHashes: string[] = [];
  const current = epochIndex(n, subnet.netuid, subnet.tempo);
  while (queue.length > 0 && current > epochIndex(queue[0]!.commitBlock, subnet.netuid, subnet.tempo) + subnet.revealPeriodEpochs) {
    const expired = queue.shift()!;
    expiredHashes.push(expired.hash);
    store.removeWeightCommit(expired.id, n, 'expired');
  }
  return { queue, expiredHashes };
}

function requireSubnetAt(store: LocalChainStore, netuid: number): SubnetRow {
  if (netuid === 0) throw new ChainModuleError('SubtensorModule', 'CanNotSetRootNetworkWeights');
  const row = store.subnet(netuid);
  if (!row) throw new ChainModuleError('SubtensorModule', 'MechanismDoesNotExist', `netuid ${netuid}`);
  return row;
}

/** `do_set_weights` in Subtensor's order of checks. */
function internalSetWeights(store: LocalChainStore, subnet: SubnetRow, who: string, payload: WeightsPayload, n: number, checkRateLimit: boolean): void {
  const { uids, values, versionKey } = payload;
  const netuid = subnet.netuid;
  if (uids.length !== values.length) throw new ChainModuleError('SubtensorModule', 'WeightVecNotEqualSize');
  if (values.some((v) => !Number.isInteger(v) || v < 0 || v > U16_MAX)) throw new ChainSubmitError('weight values must be integers in 0..65535', false);
  const subnetN = store.neurons(netuid, n).length;
  if (uids.length > subnetN) throw new ChainModuleError('SubtensorModule', 'UidsLengthExceedUidsInSubNet', `${uids.length} weights, ${subnetN} neurons`);
  const neuron = store.neuronByHotkey(netuid, who, n);
  if (!neuron) throw new ChainModuleError('SubtensorModule', 'HotKeyNotRegisteredInSubNet', `${who} on netuid ${netuid}`);
  if (subnet.weightsVersionKey !== 0 && versionKey < subnet.weightsVersionKey) {
    throw new ChainModuleError('SubtensorModule', 'IncorrectWeightVersionKey', `sent ${versionKey}, the subnet requires ≥ ${subnet.weightsVersionKey}`);
  }
  if (checkRateLimit) {
    const last = store.lastUpdate(netuid, neuron.uid, n);
    if (!rateLimitAllows(last, n, subnet.weightsRateLimit)) {
      throw new ChainModuleError('SubtensorModule', 'SettingWeightsTooFast', rateLimitContext(last, n, subnet.weightsRateLimit));
    }
  }
  const problem = checkWeightsVector({ uids, values, selfUid: neuron.uid, subnetN, hyperparams: subnet });
  if (problem) throw new ChainModuleError('SubtensorModule', problem);
  const upscaled = maxUpscaleU16(values);
  store.putWeights(
    netuid,
    neuron.uid,
    n,
    uids.map((u, i) => [u, upscaled[i]!]),
  );
  if (checkRateLimit) store.putLastUpdate(netuid, neuron.uid, n);
}

function rateLimitContext(last: number, n: number, limit: number): string {
  return `last update at block ${last}, WeightsSetRateLimit ${limit}, next allowed at block ${nextAllowedBlock(last, limit)}, now ${n}`;
}

/**
 * Extends the hash chain from block `from` (hash `fromHash`) to `to`: each block's hash is
 * blake2_256(parent ‖ u32le(number) ‖ extrinsics root), visiting every new hash; returns the last.
 */
export function extendHashes(store: LocalChainStore, from: number, fromHash: string, to: number, visit?: (n: number, hash: HexString) => void): HexString {
  const digests = new Map<number, Uint8Array[]>();
  for (const row of store.extrinsicDigests(from, to)) {
    const list = digests.get(row.block) ?? [];
    list.push(row.digest);
    digests.set(row.block, list);
  }
  // parent(32) ‖ u32le(number) ‖ root(32), hashed in place: sealing a long offline gap stays fast.
  const buf = new Uint8Array(68);
  const view = new DataView(buf.buffer);
  buf.set(hexToU8a(fromHash), 0);
  for (let n = from + 1; n <= to; n++) {
    const list = digests.get(n);
    view.setUint32(32, n, true);
    buf.set(list ? blake2AsU8a(u8aConcat(...list), 256) : ZERO32, 36);
    buf.set(blake2AsU8a(buf, 256), 0);
    if (visit) visit(n, u8aToHex(buf.subarray(0, 32)) as HexString);
  }
  return u8aToHex(buf.subarray(0, 32)) as HexString;
}

export function toHyperparams(row: SubnetRow): SubnetHyperparams {
  const { netuid: _netuid, createdBlock: _createdBlock, ...hyperparams } = row;
  return hyperparams;
}

export function validateHyperparams(hp: SubnetHyperparams): SubnetHyperparams {
  const int = (name: keyof SubnetHyperparams, min: number, max: number) => {
    const v = hp[name] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
  };
  int('tempo', 0, U16_MAX);
  int('weightsRateLimit', 0, Number.MAX_SAFE_INTEGER);
  int('weightsVersionKey', 0, Number.MAX_SAFE_INTEGER);
  int('revealPeriodEpochs', 1, 100);
  int('maxAllowedUids', 1, U16_MAX);
  int('minAllowedWeights', 0, U16_MAX);
  int('maxWeightsLimit', 0, U16_MAX);
  return { ...hp, commitRevealEnabled: Boolean(hp.commitRevealEnabled) };
}

export function checkNetuid(netuid: number): void {
  if (!Number.isInteger(netuid) || netuid < 1 || netuid > U16_MAX)
    throw new RangeError(`netuid must be an integer in 1..65535 (0 is the root network), got ${netuid}`);
}
