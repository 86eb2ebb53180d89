/**
 * Subtensor's storage as kinitro reads it at one pinned block: each item kinitro uses, decoded and
 * validated, and the views assembled from them (snapshot, validator view, weights). The connection,
 * runtime checks, deadlines and pinning are SubtensorChain's (subtensor.ts), reached through
 * `StoragePort`; nothing here opens a connection or signs.
 */
import type { ApiDecoration } from '@polkadot/api/types';
import type { Codec } from '@polkadot/types/types';
import { hexToU8a } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { z } from 'zod';
import { commitmentBytesToText } from './commitment.ts';
import { ChainModuleError, UnsupportedRuntimeError } from './errors.ts';
import type {
  BlockRef,
  ChainCommitment,
  ChainSnapshot,
  CommitRevealMode,
  HexString,
  Neuron,
  NeuronWeights,
  Ss58,
  SubnetHyperparams,
  TimelockedCommitInfo,
  TimelockSupport,
  ValidatorView,
  WeightCommitInfo,
} from './types.ts';

/** The API decorated at one block (`api.at(hash)`). */
export type At = ApiDecoration<'promise'>;

/** What the reads need from the client: storage lookups checked against the runtime schema, and its deadlines. */
export interface StoragePort {
  /** The query function of a storage item at a block: null when the runtime does not have it; throws when its layout is not the one kinitro reads. */
  storage(at: At, pallet: string, name: string): ((...args: unknown[]) => Promise<Codec>) | null;
  /** Storage entries of a map under a key prefix, with their decoded keys. */
  entries(at: At, pallet: string, name: string, prefix: unknown[], what: string): Promise<{ args: unknown[]; value: Codec }[]>;
  /** 'ok' or 'missing'; throws for an item whose layout changed. */
  itemStatus(kind: 'storage' | 'call', pallet: string, name: string): 'ok' | 'missing';
  /** Runs one RPC under the client's deadline and error mapping. */
  call<T>(work: Promise<T>, what: string): Promise<T>;
}

export async function requireSubnet(port: StoragePort, at: At, netuid: number): Promise<void> {
  const added = port.storage(at, 'SubtensorModule', 'NetworksAdded');
  if (!added) return;
  const exists = decode(await port.call(added(netuid), 'NetworksAdded'), z.boolean(), 'NetworksAdded');
  if (!exists) throw new ChainModuleError('SubtensorModule', 'SubnetNotExists', `netuid ${netuid}`);
}

/** A numeric storage value (ValueQuery, or OptionQuery read as `fallback` when empty). */
async function readNumber(port: StoragePort, at: At, name: string, args: unknown[], fallback: number): Promise<number> {
  const fn = port.storage(at, 'SubtensorModule', name);
  if (!fn) return fallback;
  const value = decode(await port.call(fn(...args), name), UINT.nullable(), name);
  return value === null ? fallback : safeNumber(value, name);
}

export async function hyperparamsAt(port: StoragePort, at: At, netuid: number): Promise<SubnetHyperparams> {
  const read = (name: string, fallback: number) => readNumber(port, at, name, [netuid], fallback);
  const crFn = port.storage(at, 'SubtensorModule', 'CommitRevealWeightsEnabled');
  const [tempo, weightsRateLimit, weightsVersionKey, revealPeriodEpochs, maxAllowedUids, minAllowedWeights, maxWeightsLimit, cr] = await Promise.all([
    read('Tempo', 360),
    read('WeightsSetRateLimit', 100),
    read('WeightsVersionKey', 0),
    read('RevealPeriodEpochs', 1),
    read('MaxAllowedUids', 256),
    read('MinAllowedWeights', 0),
    read('MaxWeightsLimit', 65535),
    crFn ? port.call(crFn(netuid), 'CommitRevealWeightsEnabled').then((v) => decode(v, z.boolean(), 'CommitRevealWeightsEnabled')) : Promise.resolve(false),
  ]);
  return { tempo, weightsRateLimit, weightsVersionKey, commitRevealEnabled: cr, revealPeriodEpochs, maxAllowedUids, minAllowedWeights, maxWeightsLimit };
}

function hasCall(port: StoragePort, pallet: string, name: string): boolean {
  return port.itemStatus('call', pallet, name) === 'ok';
}

/** How weights can be set while commit-reveal is on: hash commits when the runtime has them. */
function commitRevealMode(port: StoragePort, hp: SubnetHyperparams): CommitRevealMode {
  if (!hp.commitRevealEnabled) return 'off';
  return hasCall(port, 'SubtensorModule', 'commit_weights') && hasCall(port, 'SubtensorModule', 'reveal_weights') ? 'v2' : 'timelocked-only';
}

/** Timelocked commits: available when the runtime has the call and says which version it expects. */
async function timelockAt(port: StoragePort, at: At): Promise<TimelockSupport | null> {
  if (!hasCall(port, 'SubtensorModule', 'commit_timelocked_weights')) return null;
  const fn = port.storage(at, 'SubtensorModule', 'CommitRevealWeightsVersion');
  if (!fn) return null;
  const version = decode(await port.call(fn(), 'CommitRevealWeightsVersion'), UINT, 'CommitRevealWeightsVersion');
  return { version: safeNumber(version, 'CommitRevealWeightsVersion') };
}

async function neuronsAt(port: StoragePort, at: At, netuid: number): Promise<Neuron[]> {
  const [size, entries] = await Promise.all([
    readNumber(port, at, 'SubnetworkN', [netuid], 0),
    port.entries(at, 'SubtensorModule', 'Keys', [netuid], 'Keys.entries'),
  ]);
  return entries
    .map(({ args, value }) => ({ uid: safeNumber(decodeJson(args[1], UINT, 'Keys uid'), 'uid'), hotkey: decode(value, ACCOUNT, 'Keys') }))
    .filter((x) => x.uid < size)
    .sort((a, b) => a.uid - b.uid);
}

export async function uidAt(port: StoragePort, at: At, netuid: number, hotkey: Ss58): Promise<number | null> {
  const fn = port.storage(at, 'SubtensorModule', 'Uids')!;
  const uid = decode(await port.call(fn(netuid, hotkey), 'Uids'), UINT.nullable(), 'Uids');
  return uid === null ? null : safeNumber(uid, 'uid');
}

async function lastUpdatesAt(port: StoragePort, at: At, netuid: number): Promise<number[]> {
  const fn = port.storage(at, 'SubtensorModule', 'LastUpdate');
  if (!fn) return [];
  return decode(await port.call(fn(netuid), 'LastUpdate'), z.array(UINT), 'LastUpdate').map((v) => safeNumber(v, 'LastUpdate'));
}

export async function commitsAt(port: StoragePort, at: At, netuid: number, hotkey: Ss58): Promise<WeightCommitInfo[]> {
  const fn = port.storage(at, 'SubtensorModule', 'WeightCommits');
  if (!fn) return [];
  const queue = decode(await port.call(fn(netuid, hotkey), 'WeightCommits'), z.array(z.tuple([HASH, UINT, UINT, UINT])).nullable(), 'WeightCommits');
  if (queue === null) return [];
  // The tuple's meaning is not in the metadata: runtimes with a stateful SubnetEpochIndex store
  // (hash, commit_epoch, commit_block, 0); older ones (hash, commit_block, first_reveal_block, last_reveal_block).
  const stateful = port.itemStatus('storage', 'SubtensorModule', 'SubnetEpochIndex') === 'ok';
  return queue.map(([hash, a, b, c]) => ({
    hash,
    commitBlock: safeNumber(stateful ? b : a, 'commit_block'),
    firstRevealBlock: stateful ? null : safeNumber(b, 'first_reveal_block'),
    lastRevealBlock: stateful ? null : safeNumber(c, 'last_reveal_block'),
  }));
}

/** This hotkey's timelocked commits still waiting for their reveal (any epoch), oldest first. */
export async function timelockedCommitsAt(port: StoragePort, at: At, netuid: number, hotkey: Ss58): Promise<TimelockedCommitInfo[]> {
  if (port.itemStatus('storage', 'SubtensorModule', 'TimelockedWeightCommits') === 'missing') return [];
  const entries = await port.entries(at, 'SubtensorModule', 'TimelockedWeightCommits', [netuid], 'TimelockedWeightCommits.entries');
  const out: TimelockedCommitInfo[] = [];
  for (const { args, value } of entries) {
    const epoch = safeNumber(decodeJson(args[1], UINT, 'TimelockedWeightCommits epoch'), 'epoch');
    for (const [who, commitBlock, commit, round] of decode(value, z.array(z.tuple([ACCOUNT, UINT, HEX, UINT])), 'TimelockedWeightCommits')) {
      if (who !== hotkey) continue;
      out.push({
        hash: blake2AsHex(hexToU8a(commit), 256) as HexString,
        commitBlock: safeNumber(commitBlock, 'commit_block'),
        epoch,
        revealRound: safeNumber(round, 'reveal_round'),
      });
    }
  }
  return out.sort((a, b) => a.commitBlock - b.commitBlock);
}

/** The snapshot discovery reads: neurons, their commitments and the hyperparameters, at one block. */
export async function snapshotAt(port: StoragePort, at: At, ref: BlockRef, netuid: number): Promise<ChainSnapshot> {
  const [neurons, entries, hyperparams] = await Promise.all([
    neuronsAt(port, at, netuid),
    port.entries(at, 'Commitments', 'CommitmentOf', [netuid], 'CommitmentOf.entries'),
    hyperparamsAt(port, at, netuid),
  ]);
  const uidByHotkey = new Map(neurons.map((x) => [x.hotkey, x.uid]));
  const commitments: ChainCommitment[] = [];
  for (const { args, value } of entries) {
    const hotkey = decodeJson(args[1], ACCOUNT, 'CommitmentOf key');
    const uid = uidByHotkey.get(hotkey);
    const reg = decode(value, REGISTRATION.nullable(), 'CommitmentOf');
    if (uid === undefined || reg === null) continue;
    commitments.push({ uid, hotkey, data: commitmentFieldText(reg.info.fields[0]), block: safeNumber(reg.block, 'Registration.block') });
  }
  commitments.sort((a, b) => a.uid - b.uid);
  return { netuid, block: ref.number, blockHash: ref.hash, neurons, commitments, hyperparams, commitReveal: commitRevealMode(port, hyperparams) };
}

/** What a validator needs before setting weights, at one block. */
export async function validatorViewAt(port: StoragePort, at: At, ref: BlockRef, netuid: number, hotkey: Ss58): Promise<ValidatorView> {
  const [uid, subnetN, lastUpdates, hyperparams, pendingCommits, timelock, pendingTimelocked] = await Promise.all([
    uidAt(port, at, netuid, hotkey),
    readNumber(port, at, 'SubnetworkN', [netuid], 0),
    lastUpdatesAt(port, at, netuid),
    hyperparamsAt(port, at, netuid),
    commitsAt(port, at, netuid, hotkey),
    timelockAt(port, at),
    timelockedCommitsAt(port, at, netuid, hotkey),
  ]);
  const lastUpdate = uid === null || uid >= lastUpdates.length ? 0 : lastUpdates[uid]!;
  return {
    block: ref.number,
    blockHash: ref.hash,
    uid,
    lastUpdate,
    subnetN,
    hyperparams,
    commitReveal: commitRevealMode(port, hyperparams),
    timelock,
    pendingCommits,
    pendingTimelocked,
  };
}

/** Every neuron's current weights, at one block. */
export async function weightsAt(port: StoragePort, at: At, netuid: number): Promise<NeuronWeights[]> {
  const [neurons, entries, lastUpdates] = await Promise.all([
    neuronsAt(port, at, netuid),
    port.entries(at, 'SubtensorModule', 'Weights', [netuid], 'Weights.entries'),
    lastUpdatesAt(port, at, netuid),
  ]);
  const hotkeys = new Map(neurons.map((x) => [x.uid, x.hotkey]));
  return entries
    .map(({ args, value }) => {
      const uid = safeNumber(decodeJson(args[1], UINT, 'Weights uid'), 'uid');
      const pairs = decode(value, z.array(z.tuple([UINT, UINT])), 'Weights');
      return {
        uid,
        hotkey: hotkeys.get(uid) ?? '',
        lastUpdate: lastUpdates[uid] ?? 0,
        weights: pairs.map(([u, v]) => ({ uid: safeNumber(u, 'uid'), value: safeNumber(v, 'weight') })),
      };
    })
    .filter((w) => w.weights.length > 0)
    .sort((a, b) => a.uid - b.uid);
}

// ---- decoding ---------------------------------------------------------------------------------
// @polkadot/api decodes storage from the metadata into codecs; their JSON form (numbers, or hex for
// integers beyond 2^52; SS58 for accounts; hex for bytes; `{variantName: value}` for enums; null for an
// empty Option) is validated here, so every value reaches kinitro typed and checked.

const UINT = z.union([z.number().int().nonnegative(), z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/)]).transform((v) => BigInt(v));
const HEX = z.string().regex(/^0x([0-9a-fA-F]{2})*$/);
const HASH = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/)
  .transform((v) => v.toLowerCase() as HexString);
const ACCOUNT = z.string().min(1);
/** One commitment field (`Data`): `{raw56: '0x…'}`, `{bigRaw: '0x…'}`, `{none: null}`, `{sha256: …}` … */
const DATA = z.record(z.string(), z.unknown());
const REGISTRATION = z.object({ deposit: UINT, block: UINT, info: z.object({ fields: z.array(DATA) }) });

function decodeJson<T>(json: unknown, schema: z.ZodType<T, unknown>, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const shown = JSON.stringify(json) ?? String(json);
    throw new UnsupportedRuntimeError(
      `${what}: the runtime returned ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}, which kinitro cannot read (${parsed.error.issues[0]?.message})`,
    );
  }
  return parsed.data;
}

function decode<T>(value: Codec, schema: z.ZodType<T, unknown>, what: string): T {
  return decodeJson(value.toJSON(), schema, what);
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnsupportedRuntimeError(`${what} = ${value} does not fit a JavaScript number`);
  return Number(value);
}

/** The first commitment field as text: `Raw*`/`BigRaw` bytes as UTF-8, anything else ''. */
function commitmentFieldText(field: Record<string, unknown> | undefined): string {
  const entries = field ? Object.entries(field) : [];
  if (entries.length !== 1) return '';
  const [variant, value] = entries[0]!;
  if (!/^raw\d+$/i.test(variant) && !/^bigRaw$/i.test(variant)) return '';
  const bytes = HEX.safeParse(value);
  return bytes.success ? commitmentBytesToText(hexToU8a(bytes.data)) : '';
}
