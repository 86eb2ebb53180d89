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
 * - Decoding follows the runtime's metadata: at connect and after every runtime upgrade each storage
 *   item and call kinitro uses is checked against the shape it expects (runtime-schema.ts). Values are
 *   read as the plain JSON @polkadot/api produces from the metadata and validated with zod, so a layout
 *   change is followed (wider integers, newtypes) or refused with a message naming the item — never
 *   misread. `requireRuntime(purposes)` refuses a runtime that lacks what a command needs.
 */
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { ProviderInterface } from '@polkadot/rpc-provider/types';
import type { Codec } from '@polkadot/types/types';
import { u8aToHex } from '@polkadot/util';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { ChainClient } from './client.ts';
import { commitmentTextToBytes, MAX_COMMITMENT_BYTES } from './commitment.ts';
import { ChainConnectionError, ChainSubmitError, ChainTimeoutError, UnsupportedRuntimeError } from './errors.ts';
import { extensionProblems, SUBTENSOR_SIGNED_EXTENSIONS } from './extensions.ts';
import { apiNames, checkRuntimeSchema, itemId, problemsFor, RUNTIME_SCHEMA, type Purpose, type SchemaReport } from './runtime-schema.ts';
import {
  commitsAt,
  hyperparamsAt,
  requireSubnet,
  snapshotAt,
  timelockedCommitsAt,
  uidAt,
  validatorViewAt,
  weightsAt,
  type At,
  type StoragePort,
} from './subtensor-storage.ts';
import { inclusion, toChainError } from './subtensor-submit.ts';
import { withTimeout } from './timeout.ts';
import { redactUrl } from '../redact.ts';
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
  private schema: SchemaReport | null = null;
  private readonly queues = new Map<string, Promise<unknown>>();
  private closed = false;
  private consecutiveFailures = 0;
  private reconnecting: Promise<void> | null = null;
  /** The storage reads' access to this client (subtensor-storage.ts). */
  private readonly port: StoragePort = {
    storage: (at, pallet, name) => this.storage(at, pallet, name),
    entries: (at, pallet, name, prefix, what) => this.entries(at, pallet, name, prefix, what),
    itemStatus: (kind, pallet, name) => this.itemStatus(kind, pallet, name),
    call: (work, what) => this.call(work, what),
  };

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
      if (this.options.providerFactory && !provider.isConnected)
        await withTimeout(provider.connect(), this.connectTimeoutMs, `connecting to ${this.description}`);
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
    try {
      this.checkRuntime();
    } catch (err) {
      await api.disconnect().catch(() => undefined);
      throw err;
    }
    this.log.info(
      {
        specName: api.runtimeVersion.specName.toString(),
        specVersion: api.runtimeVersion.specVersion.toNumber(),
        signing: this.signingRefusal ? 'refused' : 'ok',
      },
      'connected to subtensor',
    );
  }

  /** The runtime's name and spec version. */
  runtime(): RuntimeInfo {
    return { specName: this.api.runtimeVersion.specName.toString(), specVersion: this.api.runtimeVersion.specVersion.toNumber() };
  }

  /**
   * Throws `UnsupportedRuntimeError` naming every call or storage item the purposes need that the
   * runtime lacks or has in a shape kinitro cannot read.
   */
  requireRuntime(purposes: Purpose[]): void {
    this.checkRuntime();
    const problems = problemsFor(this.schema!, purposes);
    if (problems.length) {
      const { specName, specVersion } = this.runtime();
      throw new UnsupportedRuntimeError(`runtime ${specName}/${specVersion} cannot be used for ${purposes.join(' and ')}: ${problems.join('; ')}`);
    }
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
    const runtime = this.runtime();
    this.schema = checkRuntimeSchema(this.api.runtimeMetadata, this.api.registry, runtime);
    const drift = [...this.schema.items].filter(([, v]) => v.state === 'mismatch').map(([k]) => k);
    if (drift.length) this.log.warn({ ...runtime, items: drift }, 'runtime items whose layout kinitro cannot read; they are refused, not guessed');
    const missing = problemsFor(this.schema, ['read']);
    if (missing.length)
      throw new UnsupportedRuntimeError(
        `runtime ${runtime.specName}/${runtime.specVersion} is not a Subtensor runtime kinitro can read: ${missing.join('; ')}`,
      );
  }

  /**
   * The query function of a storage item at a block: null when the runtime does not have it; throws
   * when its layout is not the one kinitro reads.
   */
  private storage(at: At, pallet: string, name: string): ((...args: unknown[]) => Promise<Codec>) | null {
    const status = this.itemStatus('storage', pallet, name);
    if (status === 'missing') return null;
    const { section, method } = apiNames({ pallet, name });
    const fn = at.query[section]?.[method];
    return fn ? (...args: unknown[]) => fn(...args) : null;
  }

  /** Storage entries of a map under a key prefix, with their decoded keys. */
  private async entries(at: At, pallet: string, name: string, prefix: unknown[], what: string): Promise<{ args: unknown[]; value: Codec }[]> {
    this.itemStatus('storage', pallet, name);
    const { section, method } = apiNames({ pallet, name });
    const fn = at.query[section]?.[method];
    if (!fn) return [];
    const list = await this.call(fn.entries(...prefix), what);
    return list.map(([key, value]) => ({ args: key.args.map((a) => a.toJSON()), value }));
  }

  /** 'ok' or 'missing'; throws for an item whose layout changed. */
  private itemStatus(kind: 'storage' | 'call', pallet: string, name: string): 'ok' | 'missing' {
    this.checkRuntime();
    const known = RUNTIME_SCHEMA.some((i) => i.kind === kind && i.pallet === pallet && i.name === name);
    if (!known) throw new Error(`${kind} ${pallet}.${name} is not in kinitro's runtime schema`);
    const status = this.schema!.items.get(itemId({ kind, pallet, name }))!;
    if (status.state === 'mismatch') {
      const { specName, specVersion } = this.runtime();
      throw new UnsupportedRuntimeError(
        `runtime ${specName}/${specVersion}: ${itemId({ kind, pallet, name })} is ${status.found}, but kinitro reads ${status.expected}; refusing to guess its layout`,
      );
    }
    return status.state;
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
    this.reconnect().catch((err: Error) => this.log.warn({ err }, 'background reconnect failed'));
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

  async hyperparams(netuid: number): Promise<SubnetHyperparams> {
    const { at } = await this.pin('best');
    await requireSubnet(this.port, at, netuid);
    return hyperparamsAt(this.port, at, netuid);
  }

  async snapshot(netuid: number, atRef?: BlockRef): Promise<ChainSnapshot> {
    this.requireRuntime(['discover']);
    const { at, ref } = await this.pin(atRef ?? this.readAt);
    await requireSubnet(this.port, at, netuid);
    return snapshotAt(this.port, at, ref, netuid);
  }

  async uidOf(netuid: number, hotkey: Ss58): Promise<number | null> {
    const { at } = await this.pin('best');
    return uidAt(this.port, at, netuid, hotkey);
  }

  async validatorView(netuid: number, hotkey: Ss58): Promise<ValidatorView> {
    const { at, ref } = await this.pin('best');
    await requireSubnet(this.port, at, netuid);
    return validatorViewAt(this.port, at, ref, netuid, hotkey);
  }

  async weightCommits(netuid: number, hotkey: Ss58): Promise<WeightCommitInfo[]> {
    const { at } = await this.pin('best');
    return commitsAt(this.port, at, netuid, hotkey);
  }

  async weights(netuid: number): Promise<NeuronWeights[]> {
    const { at } = await this.pin(this.readAt);
    await requireSubnet(this.port, at, netuid);
    return weightsAt(this.port, at, netuid);
  }

  // ---- writes -------------------------------------------------------------------------------

  async setCommitment(netuid: number, signer: HotkeySigner, data: string): Promise<TxReceipt> {
    const bytes = commitmentTextToBytes(data);
    if (bytes.length > MAX_COMMITMENT_BYTES) {
      throw new ChainSubmitError(`the commitment is ${bytes.length} bytes; a Raw field holds at most ${MAX_COMMITMENT_BYTES}`, false);
    }
    const tx = this.requireTx('Commitments', 'set_commitment');
    return this.submit(signer, 'set_commitment', () => tx(netuid, { fields: [{ [`Raw${bytes.length}`]: u8aToHex(bytes) }] }));
  }

  async setWeights(netuid: number, signer: HotkeySigner, payload: WeightsPayload): Promise<TxReceipt> {
    const tx = this.requireTx('SubtensorModule', 'set_weights');
    return this.submit(signer, 'set_weights', () => tx(netuid, payload.uids, payload.values, payload.versionKey));
  }

  async commitWeights(netuid: number, signer: HotkeySigner, commitHash: HexString): Promise<TxReceipt> {
    const tx = this.requireTx('SubtensorModule', 'commit_weights', 'this runtime only accepts timelocked (drand) commits');
    return this.submit(signer, 'commit_weights', () => tx(netuid, commitHash));
  }

  async revealWeights(netuid: number, signer: HotkeySigner, payload: RevealPayload): Promise<TxReceipt> {
    const tx = this.requireTx('SubtensorModule', 'reveal_weights', 'this runtime only accepts timelocked (drand) commits');
    return this.submit(signer, 'reveal_weights', () => tx(netuid, payload.uids, payload.values, payload.salt, payload.versionKey));
  }

  async commitTimelockedWeights(netuid: number, signer: HotkeySigner, payload: TimelockedPayload): Promise<TxReceipt> {
    const tx = this.requireTx('SubtensorModule', 'commit_timelocked_weights');
    return this.submit(signer, 'commit_timelocked_weights', () => tx(netuid, u8aToHex(payload.commit), payload.revealRound, payload.version));
  }

  async timelockedCommits(netuid: number, hotkey: Ss58): Promise<TimelockedCommitInfo[]> {
    const { at } = await this.pin('best');
    return timelockedCommitsAt(this.port, at, netuid, hotkey);
  }

  /** The submittable of a call whose arguments have the shapes kinitro encodes. */
  private requireTx(pallet: string, name: string, hint?: string) {
    const { section, method } = apiNames({ pallet, name });
    const fn = this.itemStatus('call', pallet, name) === 'ok' ? this.api.tx[section]?.[method] : undefined;
    if (!fn) throw new UnsupportedRuntimeError(`the runtime has no ${pallet}.${name} call${hint ? `: ${hint}` : ''}`);
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
    const blockHash = await inclusion(tx, signer, { label, nonce, era: this.eraPeriod, timeoutMs: this.inclusionTimeoutMs, registry: () => this.api.registry });
    const header = await this.call(this.api.rpc.chain.getHeader(blockHash), 'chain_getHeader');
    const block = header.number.toNumber();
    this.log.info({ call: label, signer: signer.address, block, blockHash }, 'extrinsic included');
    return { block, blockHash };
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
