/**
 * Instance keys: the secret material an evaluation instance is generated from.
 *
 * A key is 64 random bytes plus the randomization family, written as
 * `<randomization>:<128 lowercase hex>`:
 * - the first 32 bytes (`layout`) draw everything every miner shares in a cycle's instance: object and
 *   fixture placement, physics and lighting;
 * - the last 32 bytes (`variant`) draw what may differ between miners without changing the difficulty:
 *   which candidate is the target and which palette colour each candidate wears.
 *
 * The generator's only input is this key (through ChaCha20, drbg.ts), so no enumeration over anything
 * a miner can see — a seed, intrinsics, pixels, dynamics — can recover an instance: the search space is
 * 2^256 per stream. The original's integer `seed` survives on the wire as an opaque label and seeds
 * nothing. Validator instances (HMAC of the operator's secret), fresh `kinitro eval` instances
 * (crypto random) and `--seed` development instances (SHA-256 of the seed) all have the same form and
 * go through the same generator, so they are indistinguishable to a policy.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SecureRng } from './drbg.ts';

export const RANDOMIZATIONS = ['cued', 'metaworld'] as const;
/**
 * `cued` (the default): vision-necessary instances — several touch-identical candidates, a colour cue
 * says which is the target, wide placement, held success (docs/simulation.md). `metaworld`: the
 * MetaWorld v3 layouts and success rules, kept for comparison.
 */
export type Randomization = (typeof RANDOMIZATIONS)[number];
export const DEFAULT_RANDOMIZATION: Randomization = 'cued';

export interface InstanceKey {
  randomization: Randomization;
  /** 32 bytes shared by every miner of a cycle's instance. */
  layout: Uint8Array;
  /** 32 bytes that may differ per miner (target choice and colours). */
  variant: Uint8Array;
}

const KEY_PATTERN = /^(cued|metaworld):([0-9a-f]{128})$/;

/** Validates the wire/database form of an instance key. */
export const instanceKeySchema = z.string().regex(KEY_PATTERN, 'expected "<cued|metaworld>:<128 lowercase hex digits>"');

export function formatInstance(key: InstanceKey): string {
  if (key.layout.length !== 32 || key.variant.length !== 32) throw new RangeError('instance material must be 32 + 32 bytes');
  return `${key.randomization}:${Buffer.from(key.layout).toString('hex')}${Buffer.from(key.variant).toString('hex')}`;
}

export function parseInstance(text: string): InstanceKey {
  const match = KEY_PATTERN.exec(text);
  if (!match) throw new Error('malformed instance key (expected "<cued|metaworld>:<128 lowercase hex digits>")');
  const bytes = Buffer.from(match[2]!, 'hex');
  return { randomization: match[1] as Randomization, layout: new Uint8Array(bytes.subarray(0, 32)), variant: new Uint8Array(bytes.subarray(32, 64)) };
}

/** A fresh instance from the operating system's CSPRNG (the default of `kinitro eval`). */
export function freshInstance(randomization: Randomization = DEFAULT_RANDOMIZATION): string {
  const bytes = randomBytes(64);
  return formatInstance({ randomization, layout: bytes.subarray(0, 32), variant: bytes.subarray(32, 64) });
}

/**
 * A reproducible development instance (`--seed`): SHA-256 of the seed and the episode index. Such
 * instances are as hard as any other, but whoever knows the seed can rebuild them, so they are for
 * development and comparisons only; validators never use them.
 */
export function devInstance(seed: number, episodeIndex: number, randomization: Randomization = DEFAULT_RANDOMIZATION): string {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  const digest = (part: string) => createHash('sha256').update(`kinitro/dev-instance/v1|${part}|${seed}|${episodeIndex}`).digest();
  return formatInstance({ randomization, layout: digest('layout'), variant: digest('variant') });
}

export interface CycleInstanceInput {
  /** The operator's per-database secret (never leaves the appliance). */
  secret: string;
  blockHash: string;
  envId: string;
  episodeIndex: number;
  /** The miner the task is for: its variant (target, colours) is its own. */
  minerHotkey: string;
  randomization: Randomization;
}

/**
 * A cycle's instance for one miner: the layout is HMAC(secret, block hash ‖ env ‖ episode), shared by
 * every miner so all face the same scene; the variant adds the miner's hotkey, so hotkeys that share
 * what they see cannot tell each other which candidate is theirs.
 */
export function cycleInstance(input: CycleInstanceInput): string {
  const where = `${input.blockHash.toLowerCase()}|${input.envId}|${input.episodeIndex}`;
  const mac = (text: string) => createHmac('sha256', input.secret).update(text, 'utf8').digest();
  return formatInstance({
    randomization: input.randomization,
    layout: mac(`kinitro/instance/layout/v1|${where}`),
    variant: mac(`kinitro/instance/variant/v1|${where}|${input.minerHotkey}`),
  });
}

/** The random streams of an instance for one environment (independent per env and purpose). */
export function instanceStreams(key: InstanceKey, envId: string): { layout(purpose: string): SecureRng; variant(purpose: string): SecureRng } {
  return {
    layout: (purpose) => SecureRng.from(key.layout, `kinitro/layout/${envId}/${purpose}`),
    variant: (purpose) => SecureRng.from(key.variant, `kinitro/variant/${envId}/${purpose}`),
  };
}
