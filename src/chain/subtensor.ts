/**
 * SubtensorChain: a real Subtensor node over WebSocket through @polkadot/api 16.
 *
 * - Created with Subtensor's transaction-extension table; refuses to sign when the live metadata has
 *   an extension it cannot encode (see extensions.ts). Reads keep working.
 * - Reads are pinned at one block (`api.at(hash)`): the finalized head for snapshots by default, the
 *   best head for the validator's view.
 * - Writes are serialised per hotkey, take an explicit nonce from `system_accountNextIndex`, use a
 *   mortal era (64 blocks), resolve on inclusion and map `ExtrinsicFailed` to a `ChainModuleError`
 *   named from the metadata (e.g. `SubtensorModule.SettingWeightsTooFast`).
 * - Every call has a hard deadline; `reconnect()` rebuilds the connection (the validator's watchdog
 *   calls it when blocks stop advancing).
 */
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { ApiDecoration } from '@polkadot/api/types';
import type { ProviderInterface } from '@polkadot/rpc-provider/types';
import type { DispatchError } from '@polkadot/types/interfaces';
import type { Codec } from '@polkadot/types/types';
import { stringUpperFirst, u8aToHex } from '@polkadot/util';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { ChainClient } from './client.ts';
import { commitmentBytesToText, commitmentTextToBytes, MAX_COMMITMENT_BYTES } from './commitment.ts';
import {
  ChainConnectionError,
  ChainModuleError,
  ChainSubmitError,
  ChainTimeoutError,
  UnsupportedRuntimeError,
} from './errors.ts';
import { extensionProblems, SUBTENSOR_SIGNED_EXTENSIONS } from './extensions.ts';
import { withTimeout } from './timeout.ts';
import { redactUrl } from '../redact.ts';
import type {
  BlockRef,
  ChainCommitment,
  ChainSnapshot,
  CommitRevealMode,
  HexString,
  HotkeySigner,
  Neuron,
  NeuronWeights,
  RevealPayload,
  Ss58,
  SubnetHyperparams,
  TxReceipt,
  ValidatorView,
  WeightCommitInfo,
  WeightsPayload,
} from './types.ts';

/** Well-known endpoints (the Python SDK's names). */
export const SUBTENSOR_ENDPOINTS: Record<string, string> = {
  finney: 'wss://entrypoint-finney.opentensor.ai:443',
  test: 'wss://test.finney.opentensor.ai:443',
  local: 'ws://127.0.0.1:9944',
};

export interface SubtensorChainOptions {
  /** ws:// or wss:// URL of the node. */
  url?: string;
  /** Supplies the transport instead of a WsProvider (tests; a provider is reused across reconnects). */
  providerFactory?: () => ProviderInterface;
  logger?: Logger;
  /** Deadline for each read (default 30 s). */
  callTimeoutMs?: number;
  /** Deadline for connecting and loading metadata (default 60 s). */
  connectTimeoutMs?: number;
  /** Deadline from submission to inclusion (default 120 s ≈ 10 blocks). */
  inclusionTimeoutMs?: number;
  /** Mortality of transactions in blocks (default 64). */
  eraPeriod?: number;
  /** Which head snapshots and `head()` read at (default finalized). */
  readAt?: 'finalized' | 'best';
}

type At = ApiDecoration<'promise'>;

export class SubtensorChain implements ChainClient {
  readonly kind = 'subtensor' as const;
  readonly description: string;
  private api!: ApiPromise;
  private readonly log: Logger;
  private readonly callTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly inclusionTimeoutMs: number;
  private readonly eraPeriod: number;
  private readonly readAt: 'finalized' | 'best';
  private signingRefusal: string | null = null;
  private checkedSpecVersion = -1;
  private readonly queues = new Map<string, Promise<unknown>>();
  private closed = false;
  private consecutiveFailures = 0;
  private reconnecting: Promise<void> | null = null;

  private constructor(private readonly options: SubtensorChainOptions) {
    if (!options.url && !options.providerFactory) throw new Error('SubtensorChain needs a url or a providerFactory');
    this.description = options.url ? redactUrl(options.url) : 'custom provider';
    this.log = (options.logger ?? silentLogger).child({ component: 'subtensor', endpoint: this.description });
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 60_000;
    this.inclusionTimeoutMs = options.inclusionTimeoutMs ?? 120_000;
    this.eraPeriod = options.eraPeriod ?? 64;
    this.readAt = options.readAt ?? 'finalized';
  }

  /** `connect(url, options?)` or `connect({ url | providerFactory, ... })`. */
  static async connect(target: string | SubtensorChainOptions, options: Omit<SubtensorChainOptions, 'url'> = {}): Promise<SubtensorChain> {
    const chain = new SubtensorChain(typeof target === 'string' ? { ...options, url: target } : { ...options, ...target });
    await chain.open();
    return chain;
  }

  /** The underlying API (for diagnostics and tests). */
  get polkadotApi(): ApiPromise {
    return this.api;
  }

  private async open(): Promise<void> {
    const provider = this.options.providerFactory ? this.options.providerFactory() : new WsProvider(this.options.url!, 2_500, {}, this.callTimeoutMs);
    let api: ApiPromise | undefined;
    try {
      // A supplied provider is reused across reconnects and does not reconnect by itself.
      if (this.options.providerFactory && !provider.isConnected) await withTimeout(provider.connect(), this.connectTimeoutMs, `connecting to ${this.description}`);
      api = await withTimeout(
        ApiPromise.create({ provider, signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS, noInitWarn: true, throwOnConnect: true }),
        this.connectTimeoutMs,
        `connecting to ${this.description}`,
      );
    } catch (err) {
      await provider.disconnect().catch(() => undefined);
      if (err instanceof ChainTimeoutError) throw err;
      throw new ChainConnectionError(`cannot connect to ${this.description}: ${(err as Error).message}`);
    }
    if (this.closed) {
      // close() ran while this connection was being made (a reconnect): it would never be closed.
      await api.disconnect().catch(() => undefined);
      throw new ChainConnectionError('the chain client is closed');
    }
    this.api = api;
    this.checkRuntime();
    this.log.info(
      { specName: api.runtimeVersion.specName.toString(), specVersion: api.runtimeVersion.specVersion.toNumber(), signing: this.signingRefusal ? 'refused' : 'ok' },
      'connected to subtensor',
    );
  }

  /** Re-validates the extension set whenever the runtime version changes. */
  private checkRuntime(): void {
    const spec = this.api.runtimeVersion.specVersion.toNumber();
    if (spec === this.checkedSpecVersion) return;
    this.checkedSpecVersion = spec;
    const problems = extensionProblems(this.api.runtimeMetadata);
    this.signingRefusal = problems.length
      ? `refusing to sign for runtime ${this.api.runtimeVersion.specName.toString()}/${spec}: ${problems.join('; ')}`
      : null;
    if (this.signingRefusal) this.log.error({ problems }, 'runtime has transaction extensions kinitro cannot encode; signing disabled');
    for (const [pallet, storage] of [
      ['subtensorModule', 'keys'],
      ['subtensorModule', 'subnetworkN'],
      ['commitments', 'commitmentOf'],
    ] as const) {
      if (!this.api.query[pallet]?.[storage]) throw new UnsupportedRuntimeError(`the runtime has no ${pallet}.${storage} storage; is this a Subtensor node?`);
    }
  }

  private call<T>(work: Promise<T>, what: string): Promise<T> {
    if (this.closed) return Promise.reject(new ChainConnectionError('the chain client is closed'));
    return withTimeout(work, this.callTimeoutMs, what).then(
      (value) => {
        this.consecutiveFailures = 0;
        return value;
      },
      (err: unknown) => {
        const mapped = toChainError(err);
        if (mapped instanceof ChainTimeoutError || mapped instanceof ChainConnectionError) this.noteFailure();
        throw mapped;
      },
    );
  }

  /**
   * A socket can stay open while the node stops answering (no close event, so WsProvider does not
   * reconnect by itself), and a failed reconnect leaves a dead connection: after a few consecutive
   * timeouts or connection errors, rebuild the connection in the background.
   */
  private noteFailure(): void {
    this.consecutiveFailures++;
    if (this.consecutiveFailures < 3 || this.reconnecting || this.closed) return;
    this.consecutiveFailures = 0;
    this.reconnect().catch((err: Error) => this.log.warn({ err: err.message }, 'background reconnect failed'));
  }

  async chainId(): Promise<HexString> {
    return this.api.genesisHash.toHex();
  }

  private async pin(which: 'finalized' | 'best' | BlockRef): Promise<{ at: At; ref: BlockRef }> {
    let hash: HexString;
    if (typeof which === 'object') hash = which.hash;
    else if (which === 'finalized') hash = (await this.call(this.api.rpc.chain.getFinalizedHead(), 'chain_getFinalizedHead')).toHex();
    else hash = (await this.call(this.api.rpc.chain.getBlockHash(), 'chain_getBlockHash')).toHex();
    const [header, at] = await Promise.all([this.call(this.api.rpc.chain.getHeader(hash), 'chain_getHeader'), this.call(this.api.at(hash), 'api.at')]);
    return { at, ref: { number: header.number.toNumber(), hash } };
  }

  async head(): Promise<BlockRef> {
    return (await this.pin(this.readAt)).ref;
  }

  private async requireSubnet(at: At, netuid: number): Promise<void> {
    const added = at.query.subtensorModule.networksAdded;
    if (!added) return;
    const exists = await this.call(added(netuid), 'NetworksAdded');
    if (!(exists as unknown as { isTrue: boolean }).isTrue) throw new ChainModuleError('SubtensorModule', 'SubnetNotExists', `netuid ${netuid}`);
  }

  private async hyperparamsAt(at: At, netuid: number): Promise<SubnetHyperparams> {
    const q = at.query.subtensorModule;
    const read = async (name: string, fallback: number): Promise<number> => {
      const fn = q[name];
      if (!fn) return fallback;
      return toSafeNumber(await this.call(fn(netuid), name), name);
    };
    const [tempo, weightsRateLimit, weightsVersionKey, revealPeriodEpochs, maxAllowedUids, minAllowedWeights, maxWeightsLimit, cr] = await Promise.all([
      read('tempo', 360),
      read('weightsSetRateLimit', 100),
      read('weightsVersionKey', 0),
      read('revealPeriodEpochs', 1),
      read('maxAllowedUids', 256),
      read('minAllowedWeights', 0),
      read('maxWeightsLimit', 65535),
      q.commitRevealWeightsEnabled ? this.call(q.commitRevealWeightsEnabled(netuid), 'CommitRevealWeightsEnabled') : Promise.resolve(null),
    ]);
    return {
      tempo,
      weightsRateLimit,
      weightsVersionKey,
      commitRevealEnabled: cr === null ? false : (cr as unknown as { isTrue: boolean }).isTrue,
      revealPeriodEpochs,
      maxAllowedUids,
      minAllowedWeights,
      maxWeightsLimit,
    };
  }

  private commitRevealMode(hp: SubnetHyperparams): CommitRevealMode {
    if (!hp.commitRevealEnabled) return 'off';
    const tx = this.api.tx.subtensorModule;
    return tx?.commitWeights && tx?.revealWeights ? 'v2' : 'timelocked-only';
  }

  async hyperparams(netuid: number): Promise<SubnetHyperparams> {
    const { at } = await this.pin('best');
    await this.requireSubnet(at, netuid);
    return this.hyperparamsAt(at, netuid);
  }

  private async neuronsAt(at: At, netuid: number): Promise<Neuron[]> {
    const [n, entries] = await Promise.all([
      this.call(at.query.subtensorModule.subnetworkN(netuid), 'SubnetworkN'),
      this.call(at.query.subtensorModule.keys.entries(netuid), 'Keys.entries'),
    ]);
    const size = toSafeNumber(n, 'SubnetworkN');
    return entries
      .map(([key, value]) => ({ uid: toSafeNumber(key.args[1]!, 'uid'), hotkey: value.toString() }))
      .filter((x) => x.uid < size)
      .sort((a, b) => a.uid - b.uid);
  }

  async snapshot(netuid: number, atRef?: BlockRef): Promise<ChainSnapshot> {
    const { at, ref } = await this.pin(atRef ?? this.readAt);
    await this.requireSubnet(at, netuid);
    const [neurons, entries, hyperparams] = await Promise.all([
      this.neuronsAt(at, netuid),
      this.call(at.query.commitments.commitmentOf.entries(netuid), 'CommitmentOf.entries'),
      this.hyperparamsAt(at, netuid),
    ]);
    const uidByHotkey = new Map(neurons.map((x) => [x.hotkey, x.uid]));
    const commitments: ChainCommitment[] = [];
    for (const [key, value] of entries) {
      const hotkey = key.args[1]!.toString();
      const uid = uidByHotkey.get(hotkey);
      const opt = value as unknown as { isSome: boolean; unwrap(): RegistrationCodec };
      if (uid === undefined || !opt.isSome) continue;
      const reg = opt.unwrap();
      commitments.push({ uid, hotkey, data: decodeCommitmentField(reg.info.fields[0]), block: reg.block.toNumber() });
    }
    commitments.sort((a, b) => a.uid - b.uid);
    return { netuid, block: ref.number, blockHash: ref.hash, neurons, commitments, hyperparams, commitReveal: this.commitRevealMode(hyperparams) };
  }

  async uidOf(netuid: number, hotkey: Ss58): Promise<number | null> {
    const { at } = await this.pin('best');
    return this.uidAt(at, netuid, hotkey);
  }

  private async uidAt(at: At, netuid: number, hotkey: Ss58): Promise<number | null> {
    const opt = (await this.call(at.query.subtensorModule.uids(netuid, hotkey), 'Uids')) as unknown as { isSome: boolean; unwrap(): Codec };
    return opt.isSome ? toSafeNumber(opt.unwrap(), 'uid') : null;
  }

  async validatorView(netuid: number, hotkey: Ss58): Promise<ValidatorView> {
    const { at, ref } = await this.pin('best');
    await this.requireSubnet(at, netuid);
    const q = at.query.subtensorModule;
    const [uid, subnetN, lastUpdates, hyperparams, pendingCommits] = await Promise.all([
      this.uidAt(at, netuid, hotkey),
      this.call(q.subnetworkN(netuid), 'SubnetworkN').then((v) => toSafeNumber(v, 'SubnetworkN')),
      this.call(q.lastUpdate(netuid), 'LastUpdate') as Promise<unknown> as Promise<Codec[]>,
      this.hyperparamsAt(at, netuid),
      this.commitsAt(at, netuid, hotkey),
    ]);
    const lastUpdate = uid === null || uid >= lastUpdates.length ? 0 : toSafeNumber(lastUpdates[uid]!, 'LastUpdate');
    return { block: ref.number, blockHash: ref.hash, uid, lastUpdate, subnetN, hyperparams, commitReveal: this.commitRevealMode(hyperparams), pendingCommits };
  }

  private async commitsAt(at: At, netuid: number, hotkey: Ss58): Promise<WeightCommitInfo[]> {
    const q = at.query.subtensorModule;
    if (!q.weightCommits) return [];
    const opt = (await this.call(q.weightCommits(netuid, hotkey), 'WeightCommits')) as unknown as { isSome: boolean; unwrap(): Codec[][] };
    if (!opt.isSome) return [];
    // Runtimes with a stateful SubnetEpochIndex store (hash, commit_epoch, commit_block, 0); older ones
    // (hash, commit_block, first_reveal_block, last_reveal_block).
    const stateful = Boolean(q.subnetEpochIndex);
    return opt.unwrap().map((t) => ({
      hash: t[0]!.toHex() as HexString,
      commitBlock: toSafeNumber(stateful ? t[2]! : t[1]!, 'commit_block'),
      firstRevealBlock: stateful ? null : toSafeNumber(t[2]!, 'first_reveal_block'),
      lastRevealBlock: stateful ? null : toSafeNumber(t[3]!, 'last_reveal_block'),
    }));
  }

  async weightCommits(netuid: number, hotkey: Ss58): Promise<WeightCommitInfo[]> {
    const { at } = await this.pin('best');
    return this.commitsAt(at, netuid, hotkey);
  }

  async weights(netuid: number): Promise<NeuronWeights[]> {
    const { at } = await this.pin(this.readAt);
    await this.requireSubnet(at, netuid);
    const [neurons, entries, lastUpdates] = await Promise.all([
      this.neuronsAt(at, netuid),
      this.call(at.query.subtensorModule.weights.entries(netuid), 'Weights.entries'),
      this.call(at.query.subtensorModule.lastUpdate(netuid), 'LastUpdate') as Promise<unknown> as Promise<Codec[]>,
    ]);
    const hotkeys = new Map(neurons.map((x) => [x.uid, x.hotkey]));
    return entries
      .map(([key, value]) => {
        const uid = toSafeNumber(key.args[1]!, 'uid');
        const pairs = value as unknown as Codec[][];
        return {
          uid,
          hotkey: hotkeys.get(uid) ?? '',
          lastUpdate: uid < lastUpdates.length ? toSafeNumber(lastUpdates[uid]!, 'LastUpdate') : 0,
          weights: pairs.map((p) => ({ uid: toSafeNumber(p[0]!, 'uid'), value: toSafeNumber(p[1]!, 'weight') })),
        };
      })
      .filter((w) => w.weights.length > 0)
      .sort((a, b) => a.uid - b.uid);
  }

  // ---- writes -------------------------------------------------------------------------------

  async setCommitment(netuid: number, signer: HotkeySigner, data: string): Promise<TxReceipt> {
    const bytes = commitmentTextToBytes(data);
    if (bytes.length > MAX_COMMITMENT_BYTES) {
      throw new ChainSubmitError(`the commitment is ${bytes.length} bytes; a Raw field holds at most ${MAX_COMMITMENT_BYTES}`, false);
    }
    const tx = this.requireTx('commitments', 'setCommitment');
    return this.submit(signer, 'set_commitment', () => tx(netuid, { fields: [{ [`Raw${bytes.length}`]: u8aToHex(bytes) }] }));
  }

  async setWeights(netuid: number, signer: HotkeySigner, payload: WeightsPayload): Promise<TxReceipt> {
    const tx = this.requireTx('subtensorModule', 'setWeights');
    return this.submit(signer, 'set_weights', () => tx(netuid, payload.uids, payload.values, payload.versionKey));
  }

  async commitWeights(netuid: number, signer: HotkeySigner, commitHash: HexString): Promise<TxReceipt> {
    const tx = this.requireTx('subtensorModule', 'commitWeights', 'this runtime only accepts timelocked (drand) commit-reveal, which kinitro does not implement');
    return this.submit(signer, 'commit_weights', () => tx(netuid, commitHash));
  }

  async revealWeights(netuid: number, signer: HotkeySigner, payload: RevealPayload): Promise<TxReceipt> {
    const tx = this.requireTx('subtensorModule', 'revealWeights', 'this runtime only accepts timelocked (drand) commit-reveal, which kinitro does not implement');
    return this.submit(signer, 'reveal_weights', () => tx(netuid, payload.uids, payload.values, payload.salt, payload.versionKey));
  }

  private requireTx(pallet: string, method: string, hint?: string) {
    const fn = this.api.tx[pallet]?.[method];
    if (!fn) throw new UnsupportedRuntimeError(`the runtime has no ${pallet}.${method} call${hint ? `: ${hint}` : ''}`);
    return fn;
  }

  /** Serialises transactions per hotkey so nonces never collide. */
  private submit(signer: HotkeySigner, label: string, build: () => ReturnType<ReturnType<SubtensorChain['requireTx']>>): Promise<TxReceipt> {
    this.checkRuntime();
    if (this.signingRefusal) return Promise.reject(new UnsupportedRuntimeError(this.signingRefusal));
    const previous = this.queues.get(signer.address) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.send(signer, label, build()));
    this.queues.set(signer.address, next);
    return next;
  }

  private async send(signer: HotkeySigner, label: string, tx: ReturnType<ReturnType<SubtensorChain['requireTx']>>): Promise<TxReceipt> {
    const nonce = await this.call(this.api.rpc.system.accountNextIndex(signer.address), 'system_accountNextIndex');
    const blockHash = await new Promise<HexString>((resolve, reject) => {
      let settled = false;
      let unsubscribe: (() => void) | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe?.();
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new ChainTimeoutError(`${label} was not included within ${this.inclusionTimeoutMs} ms`))),
        this.inclusionTimeoutMs,
      );
      tx.signAndSend(signer, { nonce, era: this.eraPeriod, tip: 0 }, (result) => {
        const status = result.status;
        if (status.isInBlock || status.isFinalized) {
          const hash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
          const dispatchError = result.dispatchError;
          finish(() => (dispatchError ? reject(this.dispatchError(dispatchError)) : resolve(hash)));
        } else if (status.isInvalid || status.isDropped || status.isUsurped) {
          finish(() => reject(new ChainSubmitError(`${label}: the node reported the transaction ${status.type}`, true)));
        }
      })
        .then((unsub) => {
          unsubscribe = unsub;
          if (settled) unsub();
        })
        .catch((err: unknown) => finish(() => reject(toChainError(err))));
    });
    const header = await this.call(this.api.rpc.chain.getHeader(blockHash), 'chain_getHeader');
    const block = header.number.toNumber();
    this.log.info({ call: label, signer: signer.address, block, blockHash }, 'extrinsic included');
    return { block, blockHash };
  }

  private dispatchError(err: DispatchError): Error {
    if (err.isModule) {
      try {
        const meta = this.api.registry.findMetaError(err.asModule);
        return new ChainModuleError(stringUpperFirst(meta.section), meta.name);
      } catch {
        return new ChainModuleError('Unknown', err.asModule.toString());
      }
    }
    return new ChainModuleError('System', err.type);
  }

  /** Rebuilds the connection; concurrent callers (watchdog, background recovery) share one rebuild. */
  reconnect(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Overlapping rebuilds would each open a connection, and all but the last would never be closed.
    this.reconnecting ??= this.rebuild().finally(() => {
      this.reconnecting = null;
    });
    return this.reconnecting;
  }

  private async rebuild(): Promise<void> {
    this.log.warn('reconnecting to subtensor');
    await this.api.disconnect().catch(() => undefined);
    this.checkedSpecVersion = -1;
    await this.open();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.api.disconnect().catch(() => undefined);
  }
}

interface RegistrationCodec {
  block: { toNumber(): number };
  info: { fields: DataCodec[] };
}

interface DataCodec {
  type: string;
  value: Codec;
}

/** The first commitment field as text: `Raw*`/`BigRaw` bytes as UTF-8, anything else ''. */
function decodeCommitmentField(field: DataCodec | undefined): string {
  if (!field) return '';
  if (/^Raw\d+$/.test(field.type) || field.type === 'BigRaw') return commitmentBytesToText(field.value.toU8a(true));
  return '';
}

function toSafeNumber(value: Codec, what: string): number {
  const big = BigInt((value as unknown as { toString(): string }).toString());
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnsupportedRuntimeError(`${what} = ${big} does not fit a JavaScript number`);
  return Number(big);
}

const TRANSIENT_SUBMIT = /stale|future|priority|pool|temporarily|exhausts|1014|1016|Immediately Dropped/i;

/** Classifies errors thrown by the provider / RPC layer. */
function toChainError(err: unknown): Error {
  if (err instanceof ChainTimeoutError || err instanceof ChainModuleError || err instanceof ChainSubmitError || err instanceof UnsupportedRuntimeError || err instanceof ChainConnectionError) {
    return err;
  }
  const message = (err as Error)?.message ?? String(err);
  if (/^\s*-?10\d\d:/.test(message) || /Invalid Transaction|bad signature/i.test(message)) return new ChainSubmitError(message, TRANSIENT_SUBMIT.test(message));
  if (/disconnect|not connected|socket|ECONNREFUSED|ECONNRESET|closed/i.test(message)) return new ChainConnectionError(message);
  return err instanceof Error ? err : new Error(message);
}
