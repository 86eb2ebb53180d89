/**
 * The MemoryProvider's extrinsics (memory-provider.ts): a signed v4 extrinsic parsed by hand and its
 * signature verified as a node would, its call dispatched into the LocalChain, and the EventRecord
 * (`ExtrinsicSuccess` / `ExtrinsicFailed(Module{index, error})`) encoded from the served metadata.
 */
import type { TypeRegistry } from '@polkadot/types';
import type { Metadata } from '@polkadot/types/metadata';
import { compactFromU8a, hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, encodeAddress, signatureVerify } from '@polkadot/util-crypto';
import { commitmentBytesToText } from '../commitment.ts';
import { ChainModuleError, ChainSubmitError } from '../errors.ts';
import type { LocalChain } from '../local-chain.ts';
import type { HexString } from '../types.ts';

export interface ParsedExtrinsic {
  signer: string;
  nonce: number;
  tip: bigint;
  era: Uint8Array;
  call: Uint8Array;
}

/** What verifying a signature needs from the node: its extensions, versions and block hashes. */
export interface NodeContext {
  extensionIds: readonly string[];
  specVersion: number;
  transactionVersion: number;
  hashOf(n: number): HexString;
  head(): number;
}

/** Hand-parses a signed v4 extrinsic and verifies its signature; throws the node's 1010 errors. */
export function parseAndVerify(hex: HexString, node: NodeContext): ParsedExtrinsic {
  const bytes = hexToU8a(hex);
  const [lenBytes] = compactFromU8a(bytes);
  let p = lenBytes;
  const version = bytes[p++]!;
  if (version !== 0x84) throw new Error('1010: Invalid Transaction: only signed v4 extrinsics are accepted');
  if (bytes[p++] !== 0) throw new Error('1010: Invalid Transaction: address must be MultiAddress::Id');
  const signer = bytes.slice(p, p + 32);
  p += 32;
  const sigType = bytes[p]!;
  const sigLen = sigType === 2 ? 65 : 64;
  const signature = bytes.slice(p, p + 1 + sigLen);
  p += 1 + sigLen;
  const explicitStart = p;
  let era = new Uint8Array([0]);
  let nonce = 0;
  let tip = 0n;
  let mode = 0;
  for (const id of node.extensionIds) {
    if (id === 'CheckMortality' || id === 'CheckEra') {
      era = bytes.slice(p, p + (bytes[p] === 0 ? 1 : 2));
      p += era.length;
    } else if (id === 'CheckNonce') {
      const [n, v] = compactFromU8a(bytes.subarray(p));
      nonce = v.toNumber();
      p += n;
    } else if (id === 'ChargeTransactionPayment' || id === 'ChargeTransactionPaymentWrapper') {
      const [n, v] = compactFromU8a(bytes.subarray(p));
      tip = BigInt(v.toString());
      p += n;
    } else if (id === 'CheckMetadataHash') {
      mode = bytes[p++]!;
    }
  }
  const explicit = bytes.slice(explicitStart, p);
  const call = bytes.slice(p);
  const implicit: Uint8Array[] = [];
  for (const id of node.extensionIds) {
    if (id === 'CheckSpecVersion') implicit.push(u32le(node.specVersion));
    else if (id === 'CheckTxVersion') implicit.push(u32le(node.transactionVersion));
    else if (id === 'CheckGenesis') implicit.push(hexToU8a(node.hashOf(0)));
    else if (id === 'CheckMortality' || id === 'CheckEra') implicit.push(hexToU8a(node.hashOf(eraBirth(era, node.head()))));
    else if (id === 'CheckMetadataHash') implicit.push(new Uint8Array([0]));
  }
  if (mode !== 0) throw new Error('1010: Invalid Transaction: metadata-hash mode is not supported here');
  let payload = u8aConcat(call, explicit, ...implicit);
  if (payload.length > 256) payload = blake2AsU8a(payload, 256);
  const address = encodeAddress(signer, 42);
  if (!signatureVerify(payload, signature, address).isValid) throw new Error('1010: Invalid Transaction: Transaction has a bad signature');
  return { signer: address, nonce, tip, era, call };
}

/** Runs a call on the LocalChain as `signer`; a refused submission becomes a `System.Other` module error. */
export async function dispatchCall(registry: TypeRegistry, chain: LocalChain, signer: string, callBytes: Uint8Array): Promise<{ block: number }> {
  const call = registry.createType('Call', callBytes);
  const who = { address: signer } as never;
  const a = call.args as unknown as { toJSON(): unknown; toU8a(bare?: boolean): Uint8Array; toNumber(): number }[];
  const numbers = (i: number) => (a[i]!.toJSON() as number[]).map(Number);
  const key = `${call.section}.${call.method}`;
  try {
    switch (key) {
      case 'commitments.setCommitment': {
        const info = call.args[1] as unknown as { fields: { type: string; value: { toU8a(bare: boolean): Uint8Array } }[] };
        const field = info.fields[0];
        const data = field && /^Raw\d+$/.test(field.type) ? commitmentBytesToText(field.value.toU8a(true)) : '';
        return await chain.setCommitment(a[0]!.toNumber(), who, data);
      }
      case 'subtensorModule.setWeights':
        return await chain.setWeights(a[0]!.toNumber(), who, { uids: numbers(1), values: numbers(2), versionKey: Number(a[3]!.toJSON()) });
      case 'subtensorModule.commitWeights':
        return await chain.commitWeights(a[0]!.toNumber(), who, u8aToHex(a[1]!.toU8a()) as HexString);
      case 'subtensorModule.revealWeights':
        return await chain.revealWeights(a[0]!.toNumber(), who, {
          uids: numbers(1),
          values: numbers(2),
          salt: numbers(3),
          versionKey: Number(a[4]!.toJSON()),
        });
      default:
        throw new ChainModuleError('System', 'CallFiltered');
    }
  } catch (err) {
    if (err instanceof ChainSubmitError) throw new ChainModuleError('System', 'Other', err.message);
    throw err;
  }
}

/**
 * An EventRecord, encoded by hand: phase ApplyExtrinsic(index), then System.ExtrinsicSuccess(info) or
 * System.ExtrinsicFailed(Module{index, error}, info), then no topics. The dispatch info is weight
 * (two compact zeros), class Normal, pays No; pallet and error indices come from the metadata.
 */
export function eventRecord(metadata: Metadata, registry: TypeRegistry, index: number, error: ChainModuleError | null): Uint8Array {
  const system = metadata.asLatest.pallets.find((p) => p.name.toString() === 'System')!.index.toNumber();
  const phase = u8aConcat(new Uint8Array([0]), u32le(index));
  const info = new Uint8Array([0, 0, 0, 1]);
  if (!error) return u8aConcat(phase, new Uint8Array([system, 0]), info, new Uint8Array([0]));
  const [pallet, position] = moduleErrorIndex(metadata, registry, error.pallet, error.error);
  return u8aConcat(phase, new Uint8Array([system, 1, 3, pallet, position, 0, 0, 0]), info, new Uint8Array([0]));
}

function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

/** The block a mortal era's checkpoint refers to (immortal: genesis). */
function eraBirth(era: Uint8Array, current: number): number {
  if (era.length === 1) return 0;
  const encoded = era[0]! | (era[1]! << 8);
  const period = 2 << (encoded % (1 << 4));
  const quantize = Math.max(period >> 12, 1);
  const phase = (encoded >> 4) * quantize;
  return Math.floor((Math.max(current, phase) - phase) / period) * period + phase;
}

/** The metadata's pallet index and error variant index of `Pallet.Error`. */
function moduleErrorIndex(metadata: Metadata, registry: TypeRegistry, pallet: string, error: string): [number, number] {
  const entry = metadata.asLatest.pallets.find((p) => p.name.toString() === pallet);
  if (!entry || entry.errors.isNone) throw new Error(`MemoryProvider: the metadata has no errors for pallet ${pallet}`);
  const def = registry.lookup.getSiType(entry.errors.unwrap().type).def;
  const variant = def.isVariant ? def.asVariant.variants.find((v) => v.name.toString() === error) : undefined;
  if (!variant) throw new Error(`MemoryProvider: the metadata has no error ${pallet}.${error}`);
  return [entry.index.toNumber(), variant.index.toNumber()];
}
