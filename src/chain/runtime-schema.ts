/**
 * What kinitro reads from and sends to a Subtensor runtime, written down as type shapes and checked
 * against the runtime's own metadata. A runtime upgrade that changes a layout kinitro depends on is
 * either followed (an integer that widens, a newtype wrapper, a bounded vector: all decode to the same
 * plain values) or refused with a message naming the item and both shapes — never misread.
 *
 * A shape is a short canonical string computed from the metadata's type registry:
 * - unsigned integers of any width (and their compact forms) are `uint`, `bool` is `bool`;
 * - `AccountId32` is `account`; `Vec<u8>` is `bytes`; `[u8; N]` is `bytesN`;
 * - a composite with one unnamed field (`NetUid(u16)`, `BoundedVec(Vec<T>)`, `H256([u8; 32])`) is its field;
 * - other composites are `{a:…,b:…}`, tuples `(…,…)`, sequences `Vec<…>`, `Option<…>`, other enums `enum Name`.
 *
 * Pure: no I/O. `SubtensorChain` runs `checkRuntimeSchema` at connect and after every runtime upgrade.
 */
import { stringCamelCase } from '@polkadot/util';
import type { Registry } from '@polkadot/types/types';
import type { Metadata } from '@polkadot/types/metadata';

export type Purpose = 'read' | 'discover' | 'commit' | 'validate';

export interface StorageSpec {
  kind: 'storage';
  pallet: string;
  /** The metadata name, e.g. `SubnetworkN`. */
  name: string;
  keys: string[];
  value: string;
  /** Needed for these purposes; an item needed by none is optional (a default is used when absent). */
  neededFor: Purpose[];
}

export interface CallSpec {
  kind: 'call';
  pallet: string;
  /** The metadata name, e.g. `set_weights`. */
  name: string;
  args: string[];
  neededFor: Purpose[];
}

export type SchemaItem = StorageSpec | CallSpec;

const HYPERPARAM = (name: string, value = 'uint'): StorageSpec => ({ kind: 'storage', pallet: 'SubtensorModule', name, keys: ['uint'], value, neededFor: [] });

/** Everything kinitro touches. Keys of double maps are listed in order. */
export const RUNTIME_SCHEMA: SchemaItem[] = [
  { kind: 'storage', pallet: 'SubtensorModule', name: 'SubnetworkN', keys: ['uint'], value: 'uint', neededFor: ['read'] },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'Keys', keys: ['uint', 'uint'], value: 'account', neededFor: ['read'] },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'Uids', keys: ['uint', 'account'], value: 'uint', neededFor: ['read'] },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'NetworksAdded', keys: ['uint'], value: 'bool', neededFor: [] },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'LastUpdate', keys: ['uint'], value: 'Vec<uint>', neededFor: ['validate'] },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'Weights', keys: ['uint', 'uint'], value: 'Vec<(uint,uint)>', neededFor: ['validate'] },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'WeightCommits', keys: ['uint', 'account'], value: 'Vec<(bytes32,uint,uint,uint)>', neededFor: [] },
  {
    kind: 'storage',
    pallet: 'SubtensorModule',
    name: 'TimelockedWeightCommits',
    keys: ['uint', 'uint'],
    value: 'Vec<(account,uint,bytes,uint)>',
    neededFor: [],
  },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'CommitRevealWeightsVersion', keys: [], value: 'uint', neededFor: [] },
  { kind: 'storage', pallet: 'SubtensorModule', name: 'SubnetEpochIndex', keys: ['uint'], value: 'uint', neededFor: [] },
  HYPERPARAM('Tempo'),
  HYPERPARAM('WeightsSetRateLimit'),
  HYPERPARAM('WeightsVersionKey'),
  HYPERPARAM('CommitRevealWeightsEnabled', 'bool'),
  HYPERPARAM('RevealPeriodEpochs'),
  HYPERPARAM('MaxAllowedUids'),
  HYPERPARAM('MinAllowedWeights'),
  HYPERPARAM('MaxWeightsLimit'),
  {
    kind: 'storage',
    pallet: 'Commitments',
    name: 'CommitmentOf',
    keys: ['uint', 'account'],
    value: '{deposit:uint,block:uint,info:{fields:Vec<enum Data>}}',
    neededFor: ['discover'],
  },
  { kind: 'call', pallet: 'Commitments', name: 'set_commitment', args: ['uint', '{fields:Vec<enum Data>}'], neededFor: ['commit'] },
  { kind: 'call', pallet: 'SubtensorModule', name: 'set_weights', args: ['uint', 'Vec<uint>', 'Vec<uint>', 'uint'], neededFor: ['validate'] },
  { kind: 'call', pallet: 'SubtensorModule', name: 'commit_weights', args: ['uint', 'bytes32'], neededFor: [] },
  { kind: 'call', pallet: 'SubtensorModule', name: 'reveal_weights', args: ['uint', 'Vec<uint>', 'Vec<uint>', 'Vec<uint>', 'uint'], neededFor: [] },
  { kind: 'call', pallet: 'SubtensorModule', name: 'commit_timelocked_weights', args: ['uint', 'bytes', 'uint', 'uint'], neededFor: [] },
];

/** What the runtime has for one schema item. */
export type ItemStatus = { state: 'ok' } | { state: 'missing' } | { state: 'mismatch'; found: string; expected: string };

export interface SchemaReport {
  specName: string;
  specVersion: number;
  items: Map<string, ItemStatus>;
}

export function itemId(item: Pick<SchemaItem, 'kind' | 'pallet' | 'name'>): string {
  return item.kind === 'call' ? `call ${item.pallet}.${item.name}` : `storage ${item.pallet}.${item.name}`;
}

/** The shape of a type in the registry (see the module comment). */
export function shapeOf(registry: Registry, typeId: number, depth = 0): string {
  if (depth > 12) return '…';
  const type = registry.lookup.getSiType(typeId);
  const def = type.def;
  const path = type.path.map((p) => p.toString());
  const last = path.at(-1) ?? '';
  if (last === 'AccountId32') return 'account';
  if (def.isPrimitive) {
    const prim = def.asPrimitive.type;
    if (/^U\d+$/.test(prim)) return 'uint';
    if (/^I\d+$/.test(prim)) return 'int';
    return prim.toLowerCase();
  }
  if (def.isCompact) return shapeOf(registry, def.asCompact.type.toNumber(), depth + 1);
  if (def.isSequence) {
    const inner = def.asSequence.type.toNumber();
    return isU8(registry, inner) ? 'bytes' : `Vec<${shapeOf(registry, inner, depth + 1)}>`;
  }
  if (def.isArray) {
    const inner = def.asArray.type.toNumber();
    const len = def.asArray.len.toNumber();
    return isU8(registry, inner) ? `bytes${len}` : `[${shapeOf(registry, inner, depth + 1)};${len}]`;
  }
  if (def.isTuple) return `(${def.asTuple.map((t) => shapeOf(registry, t.toNumber(), depth + 1)).join(',')})`;
  if (def.isComposite) {
    const fields = def.asComposite.fields;
    if (fields.length === 1 && fields[0]!.name.isNone) return shapeOf(registry, fields[0]!.type.toNumber(), depth + 1);
    if (fields.every((f) => f.name.isNone)) return `(${fields.map((f) => shapeOf(registry, f.type.toNumber(), depth + 1)).join(',')})`;
    return `{${fields.map((f) => `${f.name.unwrapOr('?').toString()}:${shapeOf(registry, f.type.toNumber(), depth + 1)}`).join(',')}}`;
  }
  if (def.isVariant) {
    const variants = def.asVariant.variants;
    if (last === 'Option' && variants.length === 2) {
      const some = variants.find((v) => v.name.toString() === 'Some');
      if (some && some.fields.length === 1) return `Option<${shapeOf(registry, some.fields[0]!.type.toNumber(), depth + 1)}>`;
    }
    return `enum ${last || 'anonymous'}`;
  }
  return def.type.toString();
}

function isU8(registry: Registry, typeId: number): boolean {
  const def = registry.lookup.getSiType(typeId).def;
  return def.isPrimitive && def.asPrimitive.type === 'U8';
}

/**
 * The commitment `Data` enum must carry `Raw{n}` variants holding exactly n bytes (and `BigRaw` bytes
 * when present): that is what kinitro writes and decodes as text.
 */
export function dataEnumProblem(registry: Registry, typeId: number): string | null {
  const def = registry.lookup.getSiType(typeId).def;
  if (!def.isVariant) return 'Data is not an enum';
  for (const v of def.asVariant.variants) {
    const name = v.name.toString();
    const raw = /^Raw(\d+)$/.exec(name);
    const shape = v.fields.length === 1 ? shapeOf(registry, v.fields[0]!.type.toNumber()) : `${v.fields.length} fields`;
    if (raw && shape !== `bytes${raw[1]}`) return `Data::${name} holds ${shape}, expected bytes${raw[1]}`;
    if (name === 'BigRaw' && shape !== 'bytes') return `Data::BigRaw holds ${shape}, expected bytes`;
  }
  if (!def.asVariant.variants.some((v) => v.name.toString() === 'Raw1')) return 'Data has no Raw variants';
  return null;
}

interface PalletLike {
  name: { toString(): string };
}

/** Checks every schema item against the metadata. */
export function checkRuntimeSchema(metadata: Metadata, registry: Registry, runtime: { specName: string; specVersion: number }): SchemaReport {
  const latest = metadata.asLatest;
  const items = new Map<string, ItemStatus>();
  const palletOf = (name: string) => latest.pallets.find((p: PalletLike) => p.name.toString() === name);
  for (const item of RUNTIME_SCHEMA) {
    const pallet = palletOf(item.pallet);
    items.set(itemId(item), pallet ? checkItem(item, pallet, registry) : { state: 'missing' });
  }
  return { specName: runtime.specName, specVersion: runtime.specVersion, items };
}

type Pallet = Metadata['asLatest']['pallets'][number];

function checkItem(item: SchemaItem, pallet: Pallet, registry: Registry): ItemStatus {
  if (item.kind === 'storage') {
    const entry = pallet.storage.isSome ? pallet.storage.unwrap().items.find((e) => e.name.toString() === item.name) : undefined;
    if (!entry) return { state: 'missing' };
    let keys: string[] = [];
    let valueId: number;
    if (entry.type.isPlain) valueId = entry.type.asPlain.toNumber();
    else {
      const map = entry.type.asMap;
      valueId = map.value.toNumber();
      const keyId = map.key.toNumber();
      const keyDef = registry.lookup.getSiType(keyId).def;
      keys = map.hashers.length > 1 && keyDef.isTuple ? keyDef.asTuple.map((k) => shapeOf(registry, k.toNumber())) : [shapeOf(registry, keyId)];
    }
    const found = `${keys.length ? `[${keys.join(',')}] → ` : ''}${shapeOf(registry, valueId)}`;
    const expected = `${item.keys.length ? `[${item.keys.join(',')}] → ` : ''}${item.value}`;
    if (found !== expected) return { state: 'mismatch', found, expected };
    if (item.value.includes('enum Data')) {
      const problem = dataEnumProblem(registry, findDataEnum(registry, valueId));
      if (problem) return { state: 'mismatch', found: problem, expected };
    }
    return { state: 'ok' };
  }
  if (pallet.calls.isNone) return { state: 'missing' };
  const def = registry.lookup.getSiType(pallet.calls.unwrap().type).def;
  const call = def.isVariant ? def.asVariant.variants.find((v) => v.name.toString() === item.name) : undefined;
  if (!call) return { state: 'missing' };
  const found = `(${call.fields.map((f) => shapeOf(registry, f.type.toNumber())).join(', ')})`;
  const expected = `(${item.args.join(', ')})`;
  return found === expected ? { state: 'ok' } : { state: 'mismatch', found, expected };
}

/** The type id of the `Data` enum inside a commitment value (`Registration.info.fields[]`). */
function findDataEnum(registry: Registry, typeId: number, depth = 0): number {
  const type = registry.lookup.getSiType(typeId);
  if (type.path.map((p) => p.toString()).at(-1) === 'Data' || depth > 8) return typeId;
  const def = type.def;
  if (def.isComposite) {
    for (const f of def.asComposite.fields) {
      const found = findDataEnum(registry, f.type.toNumber(), depth + 1);
      if (
        registry.lookup
          .getSiType(found)
          .path.map((p) => p.toString())
          .at(-1) === 'Data'
      )
        return found;
    }
  }
  if (def.isSequence) return findDataEnum(registry, def.asSequence.type.toNumber(), depth + 1);
  return typeId;
}

/** The items a purpose needs that the runtime lacks or has in another shape, as sentences. */
export function problemsFor(report: SchemaReport, purposes: Purpose[]): string[] {
  const problems: string[] = [];
  for (const item of RUNTIME_SCHEMA) {
    if (!item.neededFor.some((p) => purposes.includes(p))) continue;
    const status = report.items.get(itemId(item))!;
    if (status.state === 'missing') problems.push(`${itemId(item)} is missing`);
    else if (status.state === 'mismatch') problems.push(`${itemId(item)} is ${status.found}, kinitro needs ${status.expected}`);
  }
  return problems;
}

/** The polkadot-js accessor names of a schema item (`subtensorModule`, `subnetworkN`). */
export function apiNames(item: Pick<SchemaItem, 'pallet' | 'name'>): { section: string; method: string } {
  return { section: stringCamelCase(item.pallet), method: stringCamelCase(item.name) };
}
