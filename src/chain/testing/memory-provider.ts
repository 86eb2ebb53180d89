/**
 * An in-memory JSON-RPC provider that plays a Subtensor node for @polkadot/api, for offline tests of
 * SubtensorChain. It serves the synthetic metadata and answers storage queries from a LocalChain's
 * state (encoded with the metadata's SCALE types), so the same behavioural contract suite can run
 * against SubtensorChain and LocalChain.
 *
 * Submitted extrinsics are parsed by hand (not with @polkadot/api): version byte, MultiAddress,
 * MultiSignature, then the extension data in the metadata's extension order (era, compact nonce,
 * compact tip for the payment extension, the metadata-hash mode byte), then the call. The signature is
 * verified over the payload rebuilt the same way (call ‖ explicit data ‖ spec/tx version, genesis hash,
 * era block hash, metadata hash). A missing or misplaced tip therefore fails here just as it would on
 * a node. The call is then dispatched into the LocalChain; each accepted extrinsic gets its own block,
 * with `System.Events` holding `ExtrinsicSuccess` or `ExtrinsicFailed(Module{index, error})`.
 *
 * The metadata is either the synthetic one or the one captured from runtime spec 218
 * (`captured-metadata.ts`); storage values, pallet and error indices are taken from whichever is served.
 */
import { TypeRegistry } from '@polkadot/types';
import { Metadata } from '@polkadot/types/metadata';
import { decorateStorage } from '@polkadot/types/metadata/decorate';
import type { ProviderInterface, ProviderInterfaceCallback, ProviderInterfaceEmitCb, ProviderInterfaceEmitted } from '@polkadot/rpc-provider/types';
import { compactStripLength, compactToU8a, hexToU8a, u8aConcat, u8aToHex, u8aToU8a } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import type { LocalChain } from '../local-chain.ts';
import { ChainModuleError } from '../errors.ts';
import { SUBTENSOR_SIGNED_EXTENSIONS } from '../extensions.ts';
import type { HexString } from '../types.ts';
import { buildSyntheticMetadata, type SyntheticMetadataOptions } from './synthetic-metadata.ts';
import { capturedMetadataHex, SPEC218 } from './captured-metadata.ts';
import { dispatchCall, eventRecord, parseAndVerify, type ParsedExtrinsic } from './memory-extrinsics.ts';
import { putSubtensorState } from './memory-storage.ts';

export interface MemoryProviderOptions extends SyntheticMetadataOptions {
  /** The chain whose state is served and into which extrinsics are dispatched. */
  chain: LocalChain;
  /** Which metadata to serve (default synthetic; the synthetic options apply only to it). */
  metadataSource?: 'synthetic' | 'spec218';
  specVersion?: number;
  transactionVersion?: number;
}

interface BlockRecord {
  extrinsics: HexString[];
  /** SCALE-encoded EventRecords. */
  events: Uint8Array[];
}

type Subscription = { method: string; cb: ProviderInterfaceCallback };

const ZERO_HASH = `0x${'00'.repeat(32)}` as HexString;

export class MemoryProvider implements ProviderInterface {
  readonly hasSubscriptions = true;
  readonly isClonable = false;
  readonly metadata: Metadata;
  readonly metadataHex: HexString;
  readonly registry: TypeRegistry;
  /** Every extrinsic received, as hex, in order. */
  readonly submitted: HexString[] = [];
  /** RPC method names received, in order. */
  readonly requests: string[] = [];
  /** When set, calls to these methods fail once with the given message (then the entry is removed). */
  readonly failOnce = new Map<string, string>();
  /** When true, requests never answer (to exercise deadlines). */
  stalled = false;
  private connected = true;
  private readonly listeners = new Map<ProviderInterfaceEmitted, Set<ProviderInterfaceEmitCb>>();
  private readonly subscriptions = new Map<string, Subscription>();
  private nextSubscription = 1;
  private readonly blocks = new Map<number, BlockRecord>();
  private readonly headerHashes = new Map<number, HexString>();
  private readonly numberByHash = new Map<string, number>();
  private readonly nonces = new Map<string, number>();
  private readonly storage: ReturnType<typeof decorateStorage>;
  private readonly chain: LocalChain;
  private readonly specVersion: number;
  private readonly transactionVersion: number;
  private readonly extensionIds: string[];
  private readonly driftedWeights: boolean;
  private readonly timelockVersion: number | null;

  constructor(options: MemoryProviderOptions) {
    const captured = options.metadataSource === 'spec218';
    this.metadataHex = captured ? capturedMetadataHex(SPEC218) : buildSyntheticMetadata(options).hex;
    this.registry = new TypeRegistry();
    this.metadata = new Metadata(this.registry, this.metadataHex);
    this.registry.setMetadata(this.metadata, undefined, SUBTENSOR_SIGNED_EXTENSIONS, true);
    this.registry.setChainProperties(this.registry.createType('ChainProperties', { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' }) as never);
    this.storage = decorateStorage(this.registry, this.metadata.asLatest, this.metadata.version);
    this.chain = options.chain;
    this.specVersion = options.specVersion ?? (captured || options.extensions === 'spec218' ? 218 : 425);
    this.transactionVersion = options.transactionVersion ?? (captured ? SPEC218.transactionVersion : 1);
    this.extensionIds = this.metadata.asV15.extrinsic.signedExtensions.map((e) => e.identifier.toString());
    this.driftedWeights = !captured && Boolean(options.driftedWeights);
    this.timelockVersion = !captured && options.timelock ? options.timelock.version : null;
  }

  // ---- ProviderInterface ---------------------------------------------------------------------

  get isConnected(): boolean {
    return this.connected;
  }

  clone(): ProviderInterface {
    throw new Error('MemoryProvider cannot be cloned');
  }

  async connect(): Promise<void> {
    this.connected = true;
    this.emit('connected');
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.subscriptions.clear();
    this.emit('disconnected');
  }

  on(type: ProviderInterfaceEmitted, sub: ProviderInterfaceEmitCb): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(sub);
    this.listeners.set(type, set);
    return () => set.delete(sub);
  }

  private emit(type: ProviderInterfaceEmitted): void {
    for (const cb of this.listeners.get(type) ?? []) cb();
  }

  async send<T = unknown>(method: string, params: unknown[]): Promise<T> {
    this.requests.push(method);
    if (this.stalled) return new Promise<T>(() => undefined);
    const failure = this.failOnce.get(method);
    if (failure !== undefined) {
      this.failOnce.delete(method);
      throw new Error(failure);
    }
    if (!this.connected) throw new Error('MemoryProvider is disconnected');
    return (await this.handle(method, params)) as T;
  }

  async subscribe(_type: string, method: string, params: unknown[], cb: ProviderInterfaceCallback): Promise<number | string> {
    this.requests.push(method);
    if (this.stalled) return new Promise(() => undefined);
    const id = `sub-${this.nextSubscription++}`;
    this.subscriptions.set(id, { method, cb });
    switch (method) {
      case 'chain_subscribeNewHeads':
      case 'chain_subscribeFinalizedHeads':
      case 'chain_subscribeAllHeads':
        queueMicrotask(() => cb(null, this.header(this.head())));
        break;
      case 'state_subscribeRuntimeVersion':
        queueMicrotask(() => cb(null, this.runtimeVersion()));
        break;
      case 'author_submitAndWatchExtrinsic':
        void this.watchExtrinsic(params[0] as HexString, (status) => {
          if (this.subscriptions.has(id)) cb(null, status);
        }).catch((err: Error) => cb(err, undefined));
        break;
      default:
        throw new Error(`MemoryProvider: unsupported subscription ${method}`);
    }
    return id;
  }

  async unsubscribe(_type: string, _method: string, id: number | string): Promise<boolean> {
    return this.subscriptions.delete(String(id));
  }

  // ---- blocks and headers --------------------------------------------------------------------

  private head(): number {
    return this.chain.headNumber();
  }

  private header(n: number) {
    return {
      parentHash: n === 0 ? ZERO_HASH : this.hashOf(n - 1),
      number: `0x${n.toString(16)}`,
      stateRoot: this.chain.blockHash(n),
      extrinsicsRoot: this.extrinsicsRoot(n),
      digest: { logs: [] },
    };
  }

  private extrinsicsRoot(n: number): HexString {
    const record = this.blocks.get(n);
    return record ? (blake2AsHex(u8aConcat(...record.extrinsics.map((x) => hexToU8a(x)))) as HexString) : ZERO_HASH;
  }

  /** A block's hash is the blake2 of its SCALE header, as polkadot-js computes it. */
  hashOf(n: number): HexString {
    const cached = this.headerHashes.get(n);
    if (cached) return cached;
    let from = n;
    while (from > 0 && !this.headerHashes.has(from - 1)) from--;
    for (let i = from; i <= n; i++) {
      const hash = this.registry.createType('Header', this.header(i)).hash.toHex() as HexString;
      this.headerHashes.set(i, hash);
      this.numberByHash.set(hash, i);
    }
    return this.headerHashes.get(n)!;
  }

  private numberOf(hash: unknown): number {
    if (hash === undefined || hash === null) return this.head();
    const key = String(hash).toLowerCase();
    if (!this.numberByHash.has(key)) this.hashOf(this.head());
    const n = this.numberByHash.get(key);
    if (n === undefined) throw new Error(`unknown block hash ${key}`);
    return n;
  }

  private runtimeVersion() {
    return {
      specName: 'node-subtensor',
      implName: 'node-subtensor',
      authoringVersion: 1,
      specVersion: this.specVersion,
      implVersion: 1,
      apis: [[blake2AsHex('Metadata', 64), 2]],
      transactionVersion: this.transactionVersion,
      stateVersion: 1,
    };
  }

  // ---- RPC ------------------------------------------------------------------------------------

  private async handle(method: string, params: unknown[]): Promise<unknown> {
    switch (method) {
      case 'rpc_methods':
        return { version: 1, methods: [...RPC_METHODS] };
      case 'system_chain':
        return 'Bittensor (synthetic)';
      case 'system_name':
        return 'kinitro-memory-provider';
      case 'system_version':
        return '0.0.0';
      case 'system_properties':
        return { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' };
      case 'system_health':
        return { peers: 1, isSyncing: false, shouldHavePeers: true };
      case 'system_accountNextIndex':
        return this.nonces.get(String(params[0])) ?? 0;
      case 'state_getRuntimeVersion':
        return this.runtimeVersion();
      case 'state_getMetadata':
        return this.metadataHex;
      case 'state_call':
        return this.stateCall(String(params[0]), String(params[1]));
      case 'chain_getBlockHash': {
        const n = params[0] === undefined || params[0] === null ? this.head() : Number(params[0]);
        return n > this.head() ? null : this.hashOf(n);
      }
      case 'chain_getFinalizedHead':
        return this.hashOf(this.head());
      case 'chain_getHeader':
        return this.header(this.numberOf(params[0]));
      case 'chain_getBlock': {
        const n = this.numberOf(params[0]);
        return { block: { header: this.header(n), extrinsics: this.blocks.get(n)?.extrinsics ?? [] }, justifications: null };
      }
      case 'state_getStorage': {
        const n = this.numberOf(params[1]);
        return this.storageAt(n).get(String(params[0]).toLowerCase()) ?? null;
      }
      case 'state_queryStorageAt': {
        const n = this.numberOf(params[1]);
        const state = this.storageAt(n);
        return [{ block: this.hashOf(n), changes: (params[0] as string[]).map((k) => [k, state.get(k.toLowerCase()) ?? null]) }];
      }
      case 'state_getKeysPaged':
      case 'state_getKeys': {
        const prefix = String(params[0]).toLowerCase();
        const count = method === 'state_getKeysPaged' ? Number(params[1]) : Number.MAX_SAFE_INTEGER;
        const start = method === 'state_getKeysPaged' && params[2] ? String(params[2]).toLowerCase() : '';
        const n = this.numberOf(method === 'state_getKeysPaged' ? params[3] : params[1]);
        return [...this.storageAt(n).keys()]
          .filter((k) => k.startsWith(prefix) && k > start)
          .sort()
          .slice(0, count);
      }
      case 'author_submitExtrinsic': {
        const hex = params[0] as HexString;
        await this.watchExtrinsic(hex, () => undefined);
        return blake2AsHex(hexToU8a(hex));
      }
      case 'author_unwatchExtrinsic':
      case 'chain_unsubscribeNewHeads':
      case 'chain_unsubscribeFinalizedHeads':
      case 'chain_unsubscribeAllHeads':
      case 'state_unsubscribeRuntimeVersion':
        return true;
      default:
        throw new Error(`MemoryProvider: unsupported method ${method}`);
    }
  }

  private stateCall(method: string, data: string): HexString {
    if (method === 'Metadata_metadata_versions') return u8aToHex(this.registry.createType('Vec<u32>', [14, 15]).toU8a()) as HexString;
    if (method === 'Metadata_metadata_at_version') {
      const version = this.registry.createType('u32', hexToU8a(data)).toNumber();
      if (version !== 15) return '0x00';
      const raw = hexToU8a(this.metadataHex);
      return u8aToHex(u8aConcat(new Uint8Array([1]), compactToU8a(raw.length), raw)) as HexString;
    }
    throw new Error(`MemoryProvider: unsupported runtime call ${method}`);
  }

  // ---- storage ------------------------------------------------------------------------------

  private encode(
    entry: { meta: { type: { isPlain: boolean; asPlain: { toNumber(): number }; asMap: { value: { toNumber(): number } } } } },
    value: unknown,
  ): HexString {
    const id = entry.meta.type.isPlain ? entry.meta.type.asPlain.toNumber() : entry.meta.type.asMap.value.toNumber();
    return u8aToHex(this.registry.createType(this.registry.createLookupType(id), value).toU8a()) as HexString;
  }

  /** The whole state at block n, as raw storage key → SCALE value. */
  storageAt(n: number): Map<string, HexString> {
    const out = new Map<string, HexString>();
    const st = this.storage as unknown as Record<string, Record<string, ((...args: unknown[]) => Uint8Array) & { meta: never }>>;
    const put = (pallet: string, item: string, args: unknown[], value: unknown) => {
      const fn = st[pallet]?.[item];
      // Items the served metadata leaves out are simply not stored.
      if (!fn) return;
      const key = u8aToHex(compactStripLength(u8aToU8a(fn(...args)))[1]);
      out.set(key.toLowerCase(), this.encode(fn, value));
    };
    const store = this.chain.store;
    put('system', 'number', [], n);
    if (this.timelockVersion !== null) put('subtensorModule', 'commitRevealWeightsVersion', [], this.timelockVersion);
    const record = this.blocks.get(n);
    if (record) {
      const fn = st.system!.events!;
      out.set(
        u8aToHex(compactStripLength(u8aToU8a(fn()))[1]).toLowerCase(),
        u8aToHex(u8aConcat(compactToU8a(record.events.length), ...record.events)) as HexString,
      );
    }
    putSubtensorState(put, store, n, this.driftedWeights);
    return out;
  }

  // ---- extrinsics (parsing, dispatch and events: memory-extrinsics.ts) -------------------------

  private async watchExtrinsic(hex: HexString, status: (s: unknown) => void): Promise<void> {
    this.submitted.push(hex);
    const parsed = this.parseAndVerify(hex);
    if (parsed.nonce < (this.nonces.get(parsed.signer) ?? 0)) throw new Error('1010: Invalid Transaction: Transaction is outdated (stale)');
    status('ready');
    const nonceKey = parsed.signer;
    this.nonces.set(nonceKey, (this.nonces.get(nonceKey) ?? 0) + 1);
    let error: ChainModuleError | null = null;
    let block: number;
    try {
      block = (await dispatchCall(this.registry, this.chain, parsed.signer, parsed.call)).block;
    } catch (err) {
      if (!(err instanceof ChainModuleError)) throw err;
      error = err;
      block = this.head();
    }
    const record = this.blocks.get(block) ?? { extrinsics: [], events: [] };
    const index = record.extrinsics.length;
    record.extrinsics.push(hex);
    record.events.push(eventRecord(this.metadata, this.registry, index, error));
    this.blocks.set(block, record);
    // Blocks at or after this one may have been hashed before their extrinsics were known.
    for (const [n, h] of [...this.headerHashes]) {
      if (n >= block) {
        this.headerHashes.delete(n);
        this.numberByHash.delete(h);
      }
    }
    const hash = this.hashOf(block);
    setImmediate(() => {
      status({ inBlock: hash });
      setImmediate(() => status({ finalized: hash }));
    });
  }

  /** Hand-parses a signed v4 extrinsic and verifies its signature; throws the node's 1010 errors. */
  parseAndVerify(hex: HexString): ParsedExtrinsic {
    return parseAndVerify(hex, {
      extensionIds: this.extensionIds,
      specVersion: this.specVersion,
      transactionVersion: this.transactionVersion,
      hashOf: (n) => this.hashOf(n),
      head: () => this.head(),
    });
  }
}

const RPC_METHODS = [
  'author_submitAndWatchExtrinsic',
  'author_submitExtrinsic',
  'author_unwatchExtrinsic',
  'chain_getBlock',
  'chain_getBlockHash',
  'chain_getFinalizedHead',
  'chain_getHeader',
  'chain_subscribeAllHeads',
  'chain_subscribeFinalizedHeads',
  'chain_subscribeNewHeads',
  'rpc_methods',
  'state_call',
  'state_getKeys',
  'state_getKeysPaged',
  'state_getMetadata',
  'state_getRuntimeVersion',
  'state_getStorage',
  'state_queryStorageAt',
  'state_subscribeRuntimeVersion',
  'system_accountNextIndex',
  'system_chain',
  'system_health',
  'system_name',
  'system_properties',
  'system_version',
];
