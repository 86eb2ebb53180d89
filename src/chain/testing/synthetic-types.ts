/**
 * Building blocks of the synthetic metadata (synthetic-metadata.ts): the portable type registry it is
 * written into, and the type groups for events and for the extrinsic format with its transaction
 * extensions. Type ids follow the order of construction, so these run at a fixed point of
 * `buildSyntheticMetadata` and the metadata stays byte for byte the same.
 */
import type { SyntheticMetadataOptions } from './synthetic-metadata.ts';

/** The pallets' indices in the runtime (calls, events and errors are addressed by them). */
export const PALLET_INDEX = { System: 0, SubtensorModule: 7, Commitments: 18 } as const;

type Field = [name: string | null, type: number, typeName?: string];
export interface VariantDef {
  name: string;
  index: number;
  fields?: Field[];
}

/** The metadata's type registry under construction: a type's id is its position, so the order of calls fixes every id. */
export class Lookup {
  readonly types: { id: number; type: Record<string, unknown> }[] = [];
  private readonly cache = new Map<string, number>();

  add(def: Record<string, unknown>, path: string[] = [], params: { name: string; type: number | null }[] = [], key?: string): number {
    if (key !== undefined && this.cache.has(key)) return this.cache.get(key)!;
    const id = this.types.length;
    this.types.push({ id, type: { path, params, def, docs: [] } });
    if (key !== undefined) this.cache.set(key, id);
    return id;
  }
  prim(name: 'Bool' | 'Str' | 'U8' | 'U16' | 'U32' | 'U64' | 'U128'): number {
    return this.add({ primitive: name }, [], [], `prim:${name}`);
  }
  seq(type: number): number {
    return this.add({ sequence: { type } }, [], [], `seq:${type}`);
  }
  arr(len: number, type: number): number {
    return this.add({ array: { len, type } }, [], [], `arr:${len}:${type}`);
  }
  tuple(types: number[]): number {
    return this.add({ tuple: types }, [], [], `tuple:${types.join(',')}`);
  }
  compact(type: number): number {
    return this.add({ compact: { type } }, [], [], `compact:${type}`);
  }
  composite(path: string[], fields: Field[], params: { name: string; type: number | null }[] = []): number {
    return this.add({ composite: { fields: fields.map(toField) } }, path, params);
  }
  variant(path: string[], variants: VariantDef[], params: { name: string; type: number | null }[] = []): number {
    return this.add(
      { variant: { variants: variants.map((v) => ({ name: v.name, index: v.index, fields: (v.fields ?? []).map(toField), docs: [] })) } },
      path,
      params,
    );
  }
}

function toField([name, type, typeName]: Field) {
  return { name, type, typeName: typeName ?? null, docs: [] };
}

/** The types of `System.Events`: dispatch info and errors, the system event, the runtime event and the record, and `AccountInfo`. */
export function eventTypes(
  l: Lookup,
  { u8, u32, u64, u128, h256, compactU64 }: { u8: number; u32: number; u64: number; u128: number; h256: number; compactU64: number },
): { systemEvent: number; runtimeEvent: number; eventRecord: number; accountInfo: number } {
  const weight = l.composite(
    ['sp_weights', 'weight_v2', 'Weight'],
    [
      ['ref_time', compactU64],
      ['proof_size', compactU64],
    ],
  );
  const dispatchClass = l.variant(
    ['frame_support', 'dispatch', 'DispatchClass'],
    [
      { name: 'Normal', index: 0 },
      { name: 'Operational', index: 1 },
      { name: 'Mandatory', index: 2 },
    ],
  );
  const pays = l.variant(
    ['frame_support', 'dispatch', 'Pays'],
    [
      { name: 'Yes', index: 0 },
      { name: 'No', index: 1 },
    ],
  );
  const dispatchInfo = l.composite(
    ['frame_system', 'DispatchEventInfo'],
    [
      ['weight', weight],
      ['class', dispatchClass],
      ['pays_fee', pays],
    ],
  );
  const moduleError = l.composite(
    ['sp_runtime', 'ModuleError'],
    [
      ['index', u8],
      ['error', l.arr(4, u8)],
    ],
  );
  const dispatchError = l.variant(
    ['sp_runtime', 'DispatchError'],
    [
      { name: 'Other', index: 0 },
      { name: 'CannotLookup', index: 1 },
      { name: 'BadOrigin', index: 2 },
      { name: 'Module', index: 3, fields: [[null, moduleError]] },
      { name: 'ConsumerRemaining', index: 4 },
      { name: 'NoProviders', index: 5 },
      { name: 'TooManyConsumers', index: 6 },
    ],
  );
  const systemEvent = l.variant(
    ['frame_system', 'pallet', 'Event'],
    [
      { name: 'ExtrinsicSuccess', index: 0, fields: [['dispatch_info', dispatchInfo]] },
      {
        name: 'ExtrinsicFailed',
        index: 1,
        fields: [
          ['dispatch_error', dispatchError],
          ['dispatch_info', dispatchInfo],
        ],
      },
    ],
    [{ name: 'T', type: null }],
  );
  const runtimeEvent = l.variant(['node_subtensor_runtime', 'RuntimeEvent'], [{ name: 'System', index: PALLET_INDEX.System, fields: [[null, systemEvent]] }]);
  const phase = l.variant(
    ['frame_system', 'Phase'],
    [
      { name: 'ApplyExtrinsic', index: 0, fields: [[null, u32]] },
      { name: 'Finalization', index: 1 },
      { name: 'Initialization', index: 2 },
    ],
  );
  const eventRecord = l.composite(
    ['frame_system', 'EventRecord'],
    [
      ['phase', phase],
      ['event', runtimeEvent],
      ['topics', l.seq(h256)],
    ],
    [
      { name: 'E', type: runtimeEvent },
      { name: 'T', type: h256 },
    ],
  );
  const accountData = l.composite(
    ['pallet_balances', 'types', 'AccountData'],
    [
      ['free', u64],
      ['reserved', u64],
      ['frozen', u64],
      ['flags', u128],
    ],
  );
  const accountInfo = l.composite(
    ['frame_system', 'AccountInfo'],
    [
      ['nonce', u32],
      ['consumers', u32],
      ['providers', u32],
      ['sufficients', u32],
      ['data', accountData],
    ],
  );
  return { systemEvent, runtimeEvent, eventRecord, accountInfo };
}

/** A signed extension as the metadata lists it. */
export interface Ext {
  identifier: string;
  type: number;
  additionalSigned: number;
}

/** The extrinsic format: address, signature, the transaction extensions of the chosen set, and the UncheckedExtrinsic type. */
export function extrinsicTypes(
  l: Lookup,
  ids: {
    u8: number;
    u32: number;
    unit: number;
    bytes32: number;
    vecU8: number;
    accountId: number;
    h256: number;
    compactU32: number;
    compactU64: number;
    runtimeCall: number;
  },
  options: SyntheticMetadataOptions,
): { multiAddress: number; multiSignature: number; extensions: Ext[]; extraType: number } {
  const { u8, u32, unit, bytes32, vecU8, accountId, h256, compactU32, compactU64, runtimeCall } = ids;
  const multiAddress = l.variant(
    ['sp_runtime', 'multiaddress', 'MultiAddress'],
    [
      { name: 'Id', index: 0, fields: [[null, accountId]] },
      { name: 'Index', index: 1, fields: [[null, compactU32]] },
      { name: 'Raw', index: 2, fields: [[null, vecU8]] },
      { name: 'Address32', index: 3, fields: [[null, bytes32]] },
      { name: 'Address20', index: 4, fields: [[null, l.arr(20, u8)]] },
    ],
    [
      { name: 'AccountId', type: accountId },
      { name: 'AccountIndex', type: unit },
    ],
  );
  const multiSignature = l.variant(
    ['sp_runtime', 'MultiSignature'],
    [
      { name: 'Ed25519', index: 0, fields: [[null, l.arr(64, u8)]] },
      { name: 'Sr25519', index: 1, fields: [[null, l.arr(64, u8)]] },
      { name: 'Ecdsa', index: 2, fields: [[null, l.arr(65, u8)]] },
    ],
  );
  const empty = (name: string) => l.composite(['synthetic', 'extensions', name], []);
  const phantom = l.composite(['core', 'marker', 'PhantomData'], []);
  const era = l.variant(
    ['sp_runtime', 'generic', 'era', 'Era'],
    [
      { name: 'Immortal', index: 0 },
      { name: 'Mortal1', index: 1, fields: [[null, u8]] },
    ],
  );
  const chargePayment = l.composite(['pallet_transaction_payment', 'ChargeTransactionPayment'], [[null, compactU64, 'BalanceOf<T>']]);
  const mode = l.variant(
    ['frame_metadata_hash_extension', 'Mode'],
    [
      { name: 'Disabled', index: 0 },
      { name: 'Enabled', index: 1 },
    ],
  );
  const optionHash = l.variant(
    ['Option'],
    [
      { name: 'None', index: 0 },
      { name: 'Some', index: 1, fields: [[null, bytes32]] },
    ],
    [{ name: 'T', type: bytes32 }],
  );

  const extensions: Ext[] = [
    { identifier: 'CheckNonZeroSender', type: empty('CheckNonZeroSender'), additionalSigned: unit },
    { identifier: 'CheckSpecVersion', type: empty('CheckSpecVersion'), additionalSigned: u32 },
    { identifier: 'CheckTxVersion', type: empty('CheckTxVersion'), additionalSigned: u32 },
    { identifier: 'CheckGenesis', type: empty('CheckGenesis'), additionalSigned: h256 },
    { identifier: 'CheckMortality', type: era, additionalSigned: h256 },
    { identifier: 'CheckNonce', type: compactU32, additionalSigned: unit },
    { identifier: 'CheckWeight', type: empty('CheckWeight'), additionalSigned: unit },
  ];
  if ((options.extensions ?? 'current') === 'current') {
    extensions.push(
      {
        identifier: 'ChargeTransactionPaymentWrapper',
        type: l.composite(['subtensor_transaction_fee', 'ChargeTransactionPaymentWrapper'], [['inner', chargePayment]]),
        additionalSigned: unit,
      },
      // A wrapper holding only PhantomData: empty, but only a recursive check sees it.
      {
        identifier: 'SudoTransactionExtension',
        type: l.composite(['subtensor_runtime', 'SudoTransactionExtension'], [[null, phantom]]),
        additionalSigned: unit,
      },
      { identifier: 'CheckShieldedTxValidity', type: empty('CheckShieldedTxValidity'), additionalSigned: unit },
      { identifier: 'SubtensorTransactionExtension', type: empty('SubtensorTransactionExtension'), additionalSigned: unit },
      { identifier: 'DrandPriority', type: empty('DrandPriority'), additionalSigned: unit },
    );
  } else {
    extensions.push(
      { identifier: 'ChargeTransactionPayment', type: chargePayment, additionalSigned: unit },
      { identifier: 'SubtensorSignedExtension', type: empty('SubtensorSignedExtension'), additionalSigned: unit },
      { identifier: 'CommitmentsSignedExtension', type: empty('CommitmentsSignedExtension'), additionalSigned: unit },
    );
  }
  extensions.push({
    identifier: 'CheckMetadataHash',
    type: l.composite(['frame_metadata_hash_extension', 'CheckMetadataHash'], [['mode', mode]]),
    additionalSigned: optionHash,
  });
  for (const extra of options.extraExtensions ?? []) {
    extensions.push({
      identifier: extra.identifier,
      type: extra.carriesData ? l.composite(['synthetic', extra.identifier], [['value', u32]]) : empty(extra.identifier),
      additionalSigned: unit,
    });
  }
  const extraType = l.tuple(extensions.map((e) => e.type));
  l.composite(
    ['sp_runtime', 'generic', 'unchecked_extrinsic', 'UncheckedExtrinsic'],
    [[null, vecU8]],
    [
      { name: 'Address', type: multiAddress },
      { name: 'Call', type: runtimeCall },
      { name: 'Signature', type: multiSignature },
      { name: 'Extra', type: extraType },
    ],
  );
  return { multiAddress, multiSignature, extensions, extraType };
}
