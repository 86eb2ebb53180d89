/**
 * Synthetic Subtensor metadata (V15), written by us from documented facts — pallet and call indices,
 * storage names, hashers and value types — never captured from a real runtime. @polkadot/api
 * decorates `query`/`tx` from it exactly as from a live node, so SubtensorChain's encoding, storage
 * keys, signing and error decoding can be tested offline (see MemoryProvider).
 *
 * Two extension sets are available: the current runtime's (with `ChargeTransactionPaymentWrapper`,
 * which carries the tip) and spec 218's (`SubtensorSignedExtension`, `CommitmentsSignedExtension`).
 * `extraExtensions` appends extensions, e.g. an unknown one that carries data, to test the guard.
 */
import { TypeRegistry } from '@polkadot/types';
import { Metadata } from '@polkadot/types/metadata';
import { eventTypes, extrinsicTypes, Lookup, PALLET_INDEX, type VariantDef } from './synthetic-types.ts';

/** SubtensorModule error names in the runtime's declaration order (their index is the position). */
export const SUBTENSOR_ERRORS = [
  'RootNetworkDoesNotExist',
  'InvalidIpType',
  'InvalidIpAddress',
  'InvalidPort',
  'HotKeyNotRegisteredInSubNet',
  'HotKeyAccountNotExists',
  'HotKeyNotRegisteredInNetwork',
  'NonAssociatedColdKey',
  'NotEnoughStake',
  'NotEnoughStakeToWithdraw',
  'NotEnoughStakeToSetWeights',
  'NotEnoughStakeToSetChildkeys',
  'NotEnoughBalanceToStake',
  'BalanceWithdrawalError',
  'ZeroBalanceAfterWithdrawn',
  'NeuronNoValidatorPermit',
  'WeightVecNotEqualSize',
  'DuplicateUids',
  'UidVecContainInvalidOne',
  'WeightVecLengthIsLow',
  'TooManyRegistrationsThisBlock',
  'HotKeyAlreadyRegisteredInSubNet',
  'NewHotKeyIsSameWithOld',
  'NewHotKeyNotCleanForRootSwap',
  'InvalidWorkBlock',
  'InvalidDifficulty',
  'InvalidSeal',
  'MaxWeightExceeded',
  'HotKeyAlreadyDelegate',
  'SettingWeightsTooFast',
  'IncorrectWeightVersionKey',
  'ServingRateLimitExceeded',
  'UidsLengthExceedUidsInSubNet',
  'NetworkTxRateLimitExceeded',
  'DelegateTxRateLimitExceeded',
  'HotKeySetTxRateLimitExceeded',
  'StakingRateLimitExceeded',
  'SubNetRegistrationDisabled',
  'TooManyRegistrationsThisInterval',
  'TransactorAccountShouldBeHotKey',
  'FaucetDisabled',
  'NotSubnetOwner',
  'RegistrationNotPermittedOnRootSubnet',
  'StakeTooLowForRoot',
  'AllNetworksInImmunity',
  'NotEnoughBalanceToPaySwapHotKey',
  'NotRootSubnet',
  'CanNotSetRootNetworkWeights',
  'NoNeuronIdAvailable',
  'DelegateTakeTooLow',
  'DelegateTakeTooHigh',
  'NoWeightsCommitFound',
  'InvalidRevealCommitHashNotMatch',
  'CommitRevealEnabled',
  'CommitRevealDisabled',
  'LiquidAlphaDisabled',
  'AlphaHighTooLow',
  'AlphaLowOutOfRange',
  'ColdKeyAlreadyAssociated',
  'NotEnoughBalanceToPaySwapColdKey',
  'InvalidChild',
  'DuplicateChild',
  'ProportionOverflow',
  'TooManyChildren',
  'TxRateLimitExceeded',
  'ColdkeySwapAnnouncementNotFound',
  'ColdkeySwapTooEarly',
  'ColdkeySwapReannouncedTooEarly',
  'AnnouncedColdkeyHashDoesNotMatch',
  'ColdkeySwapAlreadyDisputed',
  'NewColdKeyIsHotkey',
  'InvalidChildkeyTake',
  'TxChildkeyTakeRateLimitExceeded',
  'InvalidIdentity',
  'MechanismDoesNotExist',
  'StakeUnavailable',
  'SubnetNotExists',
  'TooManyUnrevealedCommits',
  'ExpiredWeightCommit',
  'RevealTooEarly',
  'InputLengthsUnequal',
  'CommittingWeightsTooFast',
];

export const COMMITMENTS_ERRORS = ['TooManyFieldsInCommitmentInfo', 'AccountNotAllowedCommit', 'SpaceLimitExceeded', 'UnexpectedUnreserveLeftover'];

export type ExtensionSet = 'current' | 'spec218';

export interface ExtraExtension {
  identifier: string;
  /** true: the explicit type carries a u32; false: empty. */
  carriesData: boolean;
}

export interface SyntheticMetadataOptions {
  extensions?: ExtensionSet;
  extraExtensions?: ExtraExtension[];
  /** Leave out commit_weights / reveal_weights (a runtime that only accepts timelocked commits). */
  withoutHashCommitReveal?: boolean;
  /** Leave out these SubtensorModule calls (metadata names, e.g. `set_weights`). */
  withoutCalls?: string[];
  /** Leave out these SubtensorModule storage items (metadata names, e.g. `LastUpdate`). */
  withoutStorage?: string[];
  /** A future layout of `Weights`: `Vec<(u16, u16, u16)>` instead of `Vec<(u16, u16)>`. */
  driftedWeights?: boolean;
  /** Add the current runtime's `CommitRevealWeightsVersion` (u16, default `version`) and `TimelockedWeightCommits`. */
  timelock?: { version: number };
}

export { PALLET_INDEX } from './synthetic-types.ts';

/** Builds the metadata; returns it with the registry it was created in. */
export function buildSyntheticMetadata(options: SyntheticMetadataOptions = {}): { metadata: Metadata; registry: TypeRegistry; hex: `0x${string}` } {
  const l = new Lookup();
  const u8 = l.prim('U8');
  const u16 = l.prim('U16');
  const u32 = l.prim('U32');
  const u64 = l.prim('U64');
  const u128 = l.prim('U128');
  const bool = l.prim('Bool');
  const bytes32 = l.arr(32, u8);
  const vecU8 = l.seq(u8);
  const vecU16 = l.seq(u16);
  const unit = l.tuple([]);
  const accountId = l.composite(['sp_core', 'crypto', 'AccountId32'], [[null, bytes32, '[u8; 32]']]);
  const h256 = l.composite(['primitive_types', 'H256'], [[null, bytes32, '[u8; 32]']]);
  const netUid = l.composite(['subtensor_runtime_common', 'NetUid'], [[null, u16, 'u16']]);
  const netUidIndex = l.composite(['subtensor_runtime_common', 'NetUidStorageIndex'], [[null, u16, 'u16']]);
  const compactU32 = l.compact(u32);
  const compactU64 = l.compact(u64);

  // --- commitments types
  const dataVariants: VariantDef[] = [{ name: 'None', index: 0 }];
  for (let n = 0; n <= 128; n++) dataVariants.push({ name: `Raw${n}`, index: n + 1, fields: [[null, l.arr(n, u8)]] });
  dataVariants.push(
    { name: 'BlakeTwo256', index: 130, fields: [[null, bytes32]] },
    { name: 'Sha256', index: 131, fields: [[null, bytes32]] },
    { name: 'Keccak256', index: 132, fields: [[null, bytes32]] },
    { name: 'ShaThree256', index: 133, fields: [[null, bytes32]] },
    {
      name: 'TimelockEncrypted',
      index: 134,
      fields: [
        ['encrypted', vecU8],
        ['reveal_round', u64],
      ],
    },
    { name: 'ResetBondsFlag', index: 135 },
    { name: 'BigRaw', index: 136, fields: [[null, vecU8]] },
  );
  const data = l.variant(['pallet_commitments', 'types', 'Data'], dataVariants);
  const commitmentInfo = l.composite(['pallet_commitments', 'types', 'CommitmentInfo'], [['fields', l.seq(data), 'BoundedVec<Data, MaxFields>']]);
  const registration = l.composite(
    ['pallet_commitments', 'types', 'Registration'],
    [
      ['deposit', u64, 'Balance'],
      ['block', u32, 'BlockNumber'],
      ['info', commitmentInfo],
    ],
  );

  // --- calls
  const systemCall = l.variant(['frame_system', 'pallet', 'Call'], [{ name: 'remark', index: 0, fields: [['remark', vecU8]] }], [{ name: 'T', type: null }]);
  const subtensorCalls: VariantDef[] = [
    {
      name: 'set_weights',
      index: 0,
      fields: [
        ['netuid', netUid],
        ['dests', vecU16],
        ['weights', vecU16],
        ['version_key', u64],
      ],
    },
    {
      name: 'commit_timelocked_weights',
      index: 113,
      fields: [
        ['netuid', netUid],
        ['commit', vecU8],
        ['reveal_round', u64],
        ['commit_reveal_version', u16],
      ],
    },
  ];
  if (!options.withoutHashCommitReveal) {
    subtensorCalls.push(
      {
        name: 'commit_weights',
        index: 96,
        fields: [
          ['netuid', netUid],
          ['commit_hash', h256],
        ],
      },
      {
        name: 'reveal_weights',
        index: 97,
        fields: [
          ['netuid', netUid],
          ['uids', vecU16],
          ['values', vecU16],
          ['salt', vecU16],
          ['version_key', u64],
        ],
      },
    );
  }
  const withoutCalls = new Set(options.withoutCalls ?? []);
  const subtensorCall = l.variant(
    ['pallet_subtensor', 'pallet', 'Call'],
    subtensorCalls.filter((c) => !withoutCalls.has(c.name)),
    [{ name: 'T', type: null }],
  );
  const commitmentsCall = l.variant(
    ['pallet_commitments', 'pallet', 'Call'],
    [
      {
        name: 'set_commitment',
        index: 0,
        fields: [
          ['netuid', netUid],
          ['info', commitmentInfo, 'Box<CommitmentInfo<MaxFields>>'],
        ],
      },
    ],
    [{ name: 'T', type: null }],
  );
  const runtimeCall = l.variant(
    ['node_subtensor_runtime', 'RuntimeCall'],
    [
      { name: 'System', index: PALLET_INDEX.System, fields: [[null, systemCall]] },
      { name: 'SubtensorModule', index: PALLET_INDEX.SubtensorModule, fields: [[null, subtensorCall]] },
      { name: 'Commitments', index: PALLET_INDEX.Commitments, fields: [[null, commitmentsCall]] },
    ],
  );

  // --- errors
  const errorEnum = (path: string[], names: string[]) =>
    l.variant(
      path,
      names.map((name, index) => ({ name, index })),
      [{ name: 'T', type: null }],
    );
  const systemError = errorEnum(['frame_system', 'pallet', 'Error'], ['InvalidSpecName', 'SpecVersionNeedsToIncrease', 'FailedToExtractRuntimeVersion']);
  const subtensorError = errorEnum(['pallet_subtensor', 'pallet', 'Error'], SUBTENSOR_ERRORS);
  const commitmentsError = errorEnum(['pallet_commitments', 'pallet', 'Error'], COMMITMENTS_ERRORS);
  const runtimeError = l.variant(
    ['node_subtensor_runtime', 'RuntimeError'],
    [
      { name: 'System', index: PALLET_INDEX.System, fields: [[null, systemError]] },
      { name: 'SubtensorModule', index: PALLET_INDEX.SubtensorModule, fields: [[null, subtensorError]] },
      { name: 'Commitments', index: PALLET_INDEX.Commitments, fields: [[null, commitmentsError]] },
    ],
  );

  // --- events, extrinsic format and transaction extensions (synthetic-types.ts)
  const { systemEvent, runtimeEvent, eventRecord, accountInfo } = eventTypes(l, { u8, u32, u64, u128, h256, compactU64 });
  const { multiAddress, multiSignature, extensions, extraType } = extrinsicTypes(
    l,
    { u8, u32, unit, bytes32, vecU8, accountId, h256, compactU32, compactU64, runtimeCall },
    options,
  );
  const runtime = l.composite(['node_subtensor_runtime', 'Runtime'], []);

  // --- storage
  const hex0 = (n: number) => `0x${'00'.repeat(n)}`;
  const le = (value: number, bytes: number) => {
    const out = new Uint8Array(bytes);
    let v = BigInt(value);
    for (let i = 0; i < bytes; i++) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return `0x${Buffer.from(out).toString('hex')}`;
  };
  const plain = (name: string, value: number, fallback: string, modifier = 'Default') => ({ name, modifier, type: { plain: value }, fallback, docs: [] });
  const map = (name: string, hashers: string[], key: number, value: number, fallback: string, modifier = 'Default') => ({
    name,
    modifier,
    type: { map: { hashers, key, value } },
    fallback,
    docs: [],
  });
  const subtensorStorage: (ReturnType<typeof map> | ReturnType<typeof plain>)[] = [
    map('SubnetworkN', ['Identity'], netUid, u16, le(0, 2)),
    map('NetworksAdded', ['Identity'], netUid, bool, '0x00'),
    map('Keys', ['Identity', 'Identity'], l.tuple([netUid, u16]), accountId, hex0(32)),
    map('Uids', ['Identity', 'Blake2_128Concat'], l.tuple([netUid, accountId]), u16, '0x00', 'Optional'),
    map('Tempo', ['Identity'], netUid, u16, le(360, 2)),
    map('WeightsSetRateLimit', ['Identity'], netUid, u64, le(100, 8)),
    map('WeightsVersionKey', ['Identity'], netUid, u64, le(0, 8)),
    map('CommitRevealWeightsEnabled', ['Identity'], netUid, bool, '0x01'),
    map('RevealPeriodEpochs', ['Twox64Concat'], netUid, u64, le(1, 8)),
    map('MaxAllowedUids', ['Identity'], netUid, u16, le(256, 2)),
    map('MinAllowedWeights', ['Identity'], netUid, u16, le(0, 2)),
    map('MaxWeightsLimit', ['Identity'], netUid, u16, le(65535, 2)),
    map('LastUpdate', ['Identity'], netUidIndex, l.seq(u64), '0x00'),
    map('Weights', ['Identity', 'Identity'], l.tuple([netUidIndex, u16]), l.seq(l.tuple(options.driftedWeights ? [u16, u16, u16] : [u16, u16])), '0x00'),
    map('WeightCommits', ['Twox64Concat', 'Twox64Concat'], l.tuple([netUidIndex, accountId]), l.seq(l.tuple([h256, u64, u64, u64])), '0x00', 'Optional'),
  ];
  if (options.timelock) {
    subtensorStorage.push(
      plain('CommitRevealWeightsVersion', u16, le(options.timelock.version, 2)),
      map('TimelockedWeightCommits', ['Twox64Concat', 'Twox64Concat'], l.tuple([netUidIndex, u64]), l.seq(l.tuple([accountId, u64, vecU8, u64])), '0x00'),
    );
  }
  const withoutStorage = new Set(options.withoutStorage ?? []);
  const subtensorItems = subtensorStorage.filter((item) => !withoutStorage.has(item.name));
  const commitmentsStorage = [
    map('CommitmentOf', ['Identity', 'Twox64Concat'], l.tuple([netUid, accountId]), registration, '0x00', 'Optional'),
    map('LastCommitment', ['Identity', 'Twox64Concat'], l.tuple([netUid, accountId]), u32, '0x00', 'Optional'),
  ];
  const systemStorage = [
    map('Account', ['Blake2_128Concat'], accountId, accountInfo, hex0(4 * 4 + 8 * 3 + 16)),
    plain('Number', u32, le(0, 4)),
    plain('Events', l.seq(eventRecord), '0x00'),
  ];

  const pallet = (name: keyof typeof PALLET_INDEX, storage: unknown[], calls: number, errors: number, events: number | null) => ({
    name,
    storage: { prefix: name, items: storage },
    calls: { type: calls },
    events: events === null ? null : { type: events },
    constants: [],
    errors: { type: errors },
    index: PALLET_INDEX[name],
    docs: [],
  });

  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, {
    magicNumber: 0x6174656d,
    metadata: {
      v15: {
        lookup: { types: l.types },
        pallets: [
          pallet('System', systemStorage, systemCall, systemError, systemEvent),
          pallet('SubtensorModule', subtensorItems, subtensorCall, subtensorError, null),
          pallet('Commitments', commitmentsStorage, commitmentsCall, commitmentsError, null),
        ],
        extrinsic: {
          version: 4,
          addressType: multiAddress,
          callType: runtimeCall,
          signatureType: multiSignature,
          extraType,
          signedExtensions: extensions,
        },
        type: runtime,
        apis: [],
        outerEnums: { callType: runtimeCall, eventType: runtimeEvent, errorType: runtimeError },
        custom: { map: {} },
      },
    },
  } as never);
  return { metadata, registry, hex: metadata.toHex() };
}
