/**
 * Pure weight arithmetic shared by the LocalChain, SubtensorChain and the validator: the CR-v2 commit
 * hash, the epoch/reveal-window rule, the chain's own max-upscale, the rate-limit rule, and the checks
 * `set_weights` performs (in Subtensor's order, with its error names).
 */
import { randomBytes } from 'node:crypto';
import { compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import type { HexString, SubnetHyperparams } from './types.ts';
// One definition of the u16 range: scoring produces the values, the chain checks them.
import { U16_MAX } from '../scoring/weights.ts';

export { U16_MAX };

/** Subtensor keeps at most this many unrevealed commits per hotkey. */
export const MAX_UNREVEALED_COMMITS = 10;
export const SALT_LENGTH = 8;

function u16le(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >> 8) & 0xff]);
}

function u64le(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

/** SCALE `Vec<u16>`: compact length, then little-endian u16s. */
export function encodeU16Vec(values: readonly number[]): Uint8Array {
  const body = new Uint8Array(values.length * 2);
  values.forEach((v, i) => body.set(u16le(v), i * 2));
  return u8aConcat(compactToU8a(values.length), body);
}

/**
 * Subtensor's CR-v2 commit hash: BlakeTwo256 over SCALE(who: AccountId32, netuid_index: u16,
 * uids: Vec<u16>, values: Vec<u16>, salt: Vec<u16>, version_key: u64).
 */
export function commitHashV2(input: {
  hotkey: string | Uint8Array;
  netuidIndex: number;
  uids: readonly number[];
  values: readonly number[];
  salt: readonly number[];
  versionKey: number | bigint;
}): HexString {
  const who = typeof input.hotkey === 'string' ? decodeAddress(input.hotkey) : input.hotkey;
  if (who.length !== 32) throw new Error(`commit hash needs a 32-byte account id, got ${who.length} bytes`);
  const encoded = u8aConcat(
    who,
    u16le(input.netuidIndex),
    encodeU16Vec(input.uids),
    encodeU16Vec(input.values),
    encodeU16Vec(input.salt),
    u64le(input.versionKey),
  );
  return u8aToHex(blake2AsU8a(encoded, 256)) as HexString;
}

/** Eight random u16 values, like the Python SDK's salt. */
export function randomSalt(): number[] {
  const bytes = randomBytes(SALT_LENGTH * 2);
  return Array.from({ length: SALT_LENGTH }, (_, i) => bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
}

/**
 * The epoch a block belongs to, by the stateless rule Subtensor used until 2026-05:
 * `(block + netuid + 1) / (tempo + 1)`. (Newer runtimes keep a stateful `SubnetEpochIndex`; callers
 * treat `RevealTooEarly` as "wait" so a different rule only costs a retry.)
 */
export function epochIndex(block: number, netuid: number, tempo: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

/** The blocks in which a commit made at `commitBlock` may be revealed (both inclusive). */
export function revealWindow(
  commitBlock: number,
  netuid: number,
  hp: Pick<SubnetHyperparams, 'tempo' | 'revealPeriodEpochs'>,
): {
  revealEpoch: number;
  firstBlock: number;
  lastBlock: number;
} {
  const revealEpoch = epochIndex(commitBlock, netuid, hp.tempo) + hp.revealPeriodEpochs;
  const span = hp.tempo + 1;
  return {
    revealEpoch,
    firstBlock: Math.max(0, revealEpoch * span - netuid - 1),
    lastBlock: Math.max(0, (revealEpoch + 1) * span - netuid - 2),
  };
}

/** Subtensor's rate-limit rule: allowed when never set, or when `limit` blocks have passed. */
export function rateLimitAllows(lastUpdate: number, block: number, limit: number): boolean {
  return lastUpdate === 0 || block - lastUpdate >= limit;
}

/** The first block at which a submission is allowed again. */
export function nextAllowedBlock(lastUpdate: number, limit: number): number {
  return lastUpdate === 0 ? 0 : lastUpdate + limit;
}

const FRAC = 32n;
const HALF = 1n << (FRAC - 1n);

/**
 * The chain's `vec_u16_max_upscale_to_u16`, reproduced bit for bit with I32F32 fixed-point arithmetic
 * (BigInt), so the LocalChain stores exactly what Subtensor would.
 */
export function maxUpscaleU16(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const max = BigInt(Math.max(...values));
  if (max === 0n) return values.map(() => 0);
  const umax = BigInt(U16_MAX);
  if (max > 32768n) {
    const ratioBits = (umax << FRAC) / max;
    return values.map((e) => Number((BigInt(e) * ratioBits + HALF) >> FRAC));
  }
  return values.map((e) => Number((((BigInt(e) * umax) << FRAC) / max + HALF) >> FRAC));
}

/** Whether the normalised maximum stays within `MaxWeightsLimit` (the chain's check_vec_max_limited, in floats). */
export function withinMaxWeightLimit(values: readonly number[], maxLimit: number): boolean {
  if (maxLimit >= U16_MAX || values.length === 0) return true;
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum === 0) return true;
  return Math.max(...values) / sum <= maxLimit / U16_MAX;
}

/** Returns the Subtensor error name the weights would be rejected with, or null. */
export function checkWeightsVector(input: {
  uids: readonly number[];
  values: readonly number[];
  selfUid: number;
  subnetN: number;
  hyperparams: Pick<SubnetHyperparams, 'minAllowedWeights' | 'maxWeightsLimit'>;
}): string | null {
  const { uids, values, selfUid, subnetN } = input;
  if (uids.length !== values.length) return 'WeightVecNotEqualSize';
  if (uids.length > subnetN) return 'UidsLengthExceedUidsInSubNet';
  if (new Set(uids).size !== uids.length) return 'DuplicateUids';
  if (uids.some((u) => !Number.isInteger(u) || u < 0 || u >= subnetN)) return 'UidVecContainInvalidOne';
  const selfWeight = uids.length === 1 && uids[0] === selfUid;
  if (!selfWeight && uids.length < Math.min(input.hyperparams.minAllowedWeights, subnetN)) return 'WeightVecLengthIsLow';
  if (!selfWeight && !withinMaxWeightLimit(values, input.hyperparams.maxWeightsLimit)) return 'MaxWeightExceeded';
  return null;
}

/** Sorts weight pairs by uid (the order the chain stores them in); input arrays are left untouched. */
export function sortByUid(uids: readonly number[], values: readonly number[]): { uids: number[]; values: number[] } {
  const order = uids.map((_, i) => i).sort((a, b) => uids[a]! - uids[b]!);
  return { uids: order.map((i) => uids[i]!), values: order.map((i) => values[i]!) };
}
