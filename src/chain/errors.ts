/**
 * Chain errors. Runtime rejections keep Subtensor's pallet and error names (`SubtensorModule.SettingWeightsTooFast`)
 * so callers branch on the same names whether the LocalChain or a real node answered; the message adds
 * a sentence an operator can act on. Transport problems (timeouts, dropped connections) are separate
 * classes because the right reaction — retry later — differs.
 */

export class ChainError extends Error {
  override name = 'ChainError';
}

/** The runtime rejected the extrinsic (a dispatch/module error). Retrying the same call will not help, except where noted. */
export class ChainModuleError extends ChainError {
  override name = 'ChainModuleError';
  constructor(
    readonly pallet: string,
    readonly error: string,
    context?: string,
  ) {
    super(`${pallet}.${error}: ${explainChainError(error)}${context ? ` (${context})` : ''}`);
  }
  /** `Pallet.Error`, e.g. `SubtensorModule.RevealTooEarly`. */
  get qualifiedName(): string {
    return `${this.pallet}.${this.error}`;
  }
}

/** The node refused the transaction before execution (bad signature, stale nonce, pool full…). */
export class ChainSubmitError extends ChainError {
  override name = 'ChainSubmitError';
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** A chain call did not answer within its deadline. */
export class ChainTimeoutError extends ChainError {
  override name = 'ChainTimeoutError';
}

/** The connection to the node failed or was lost. */
export class ChainConnectionError extends ChainError {
  override name = 'ChainConnectionError';
}

/** The runtime lacks something we need, or carries something we cannot sign safely. */
export class UnsupportedRuntimeError extends ChainError {
  override name = 'UnsupportedRuntimeError';
}

/** Errors worth retrying later without changing anything. */
export function isTransientChainError(err: unknown): boolean {
  if (err instanceof ChainTimeoutError || err instanceof ChainConnectionError) return true;
  if (err instanceof ChainSubmitError) return err.transient;
  if (err instanceof ChainModuleError) return false;
  if (err instanceof UnsupportedRuntimeError) return false;
  // Unknown errors from the transport (socket resets, JSON-RPC hiccups) are treated as transient.
  return !(err instanceof ChainError);
}

const EXPLANATIONS: Record<string, string> = {
  HotKeyNotRegisteredInSubNet: 'the hotkey is not registered on this subnet',
  HotKeyAlreadyRegisteredInSubNet: 'the hotkey is already registered on this subnet',
  SettingWeightsTooFast: 'weights were set too recently; WeightsSetRateLimit blocks must pass between two submissions',
  CommittingWeightsTooFast: 'weights were committed too recently; WeightsSetRateLimit blocks must pass between two commits',
  IncorrectWeightVersionKey: "the version key is lower than the subnet's WeightsVersionKey",
  CommitRevealEnabled: 'the subnet uses commit-reveal; weights must be committed and revealed, not set directly',
  CommitRevealDisabled: 'commit-reveal is disabled on this subnet; set weights directly',
  RevealTooEarly: 'the reveal epoch has not started yet; retry later',
  ExpiredWeightCommit: 'the commit expired before it was revealed; commit again',
  NoWeightsCommitFound: 'there is no pending commit for this hotkey',
  InvalidRevealCommitHashNotMatch: 'the revealed weights, salt or version key do not match any pending commit',
  TooManyUnrevealedCommits: 'too many unrevealed commits (10); reveal or let them expire first',
  WeightVecNotEqualSize: 'uids and values have different lengths',
  WeightVecLengthIsLow: "fewer weights than the subnet's MinAllowedWeights",
  UidVecContainInvalidOne: 'a uid does not exist on this subnet',
  UidsLengthExceedUidsInSubNet: 'more weights than neurons on this subnet',
  DuplicateUids: 'a uid appears twice',
  MaxWeightExceeded: "a weight exceeds the subnet's MaxWeightsLimit",
  NeuronNoValidatorPermit: 'the hotkey has no validator permit on this subnet',
  NotEnoughStakeToSetWeights: 'the hotkey has less stake than the subnet requires to set weights',
  CanNotSetRootNetworkWeights: 'weights cannot be set on the root network',
  SubnetNotExists: 'the subnet does not exist',
  MechanismDoesNotExist: 'the subnet (mechanism) does not exist',
  NoNeuronIdAvailable: 'the subnet is full (MaxAllowedUids reached)',
  IncorrectCommitRevealVersion: 'the commit-reveal version does not match the runtime',
  AccountNotAllowedCommit: 'only hotkeys registered on the subnet may publish a commitment',
  TooManyFieldsInCommitmentInfo: 'the commitment has more fields than the runtime allows',
  CommitmentSetRateLimitExceeded: 'a commitment was published too recently; the runtime allows one per Commitments.RateLimit blocks',
  SpaceLimitExceeded: 'the commitment space budget for this epoch is used up; commit again next epoch',
  BadOrigin: 'the call needs a different origin (signer)',
};

/** A sentence for an error name; generic text for names we do not know. */
export function explainChainError(name: string): string {
  return EXPLANATIONS[name] ?? 'the runtime rejected the call';
}
