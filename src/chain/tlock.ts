/**
 * Timelock encryption to a drand round, in the format Subtensor decrypts timelocked weight commits
 * with (`commit_timelocked_weights`, commit-reveal v3/v4). Pure: no I/O.
 *
 * The scheme (Boneh–Franklin "FullIdent" IBE on BLS12-381 with drand quicknet's roles: signatures and
 * identities in G1, the beacon key in G2), written from its published description:
 * - identity of round n: Q = hash_to_G1(sha256(u64_be(n))) with DST `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`;
 *   drand's signature for round n is s·Q, the decryption key;
 * - a fresh 32-byte key k encrypts the message with AES-256-GCM (12-byte nonce, no AAD);
 * - k itself is IBE-encrypted: σ = sha256(t) for a random scalar t (32 bytes little-endian),
 *   r = sha256(σ ‖ k) as a big-endian integer mod the group order, U = r·G2,
 *   V = σ ⊕ sha256(gt(e(Q, r·P))), W = k ⊕ sha256(σ), where P is the beacon key;
 * - decryption: σ = V ⊕ sha256(gt(e(sig, U))), k = W ⊕ sha256(σ), and U must equal sha256(σ ‖ k)·G2.
 *
 * `gt(x)` is the canonical serialization of a GT element as arkworks writes it: the twelve base-field
 * coefficients in tower order (c0.c0.c0, c0.c0.c1, c0.c1.c0 … c1.c2.c1), each 48 bytes little-endian.
 * The pairing value is the one arkworks computes: its final exponentiation raises to 3·(p⁴−p²+1)/r,
 * as @noble/curves' does (checked in the tests).
 *
 * The ciphertext is serialized as arkworks' `CanonicalSerialize` (compressed) writes the reference
 * structure: U (96-byte compressed G2) ‖ vec(V) ‖ vec(W) ‖ vec(body) ‖ vec("AES_GCM_"), where
 * vec(x) = u64_le(len) ‖ x and body = vec(AES ciphertext ‖ tag) ‖ vec(nonce).
 */
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { compactToU8a, u8aConcat } from '@polkadot/util';

/** drand's "quicknet" beacon, the one Subtensor's drand pallet follows. */
export const DRAND_QUICKNET = {
  chainHash: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
  publicKey:
    '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a',
  genesisTime: 1692803367,
  periodSeconds: 3,
} as const;

export const QUICKNET_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';
export const CIPHER_SUITE = new TextEncoder().encode('AES_GCM_');
const FP_BYTES = 48;

export class TlockError extends Error {
  override name = 'TlockError';
}

type G1 = InstanceType<typeof bls.G1.Point>;
type G2 = InstanceType<typeof bls.G2.Point>;
type Fp12 = ReturnType<typeof bls.pairing>;

/** The parts of a serialized timelock ciphertext. */
export interface TlockCiphertext {
  /** r·G2, compressed (96 bytes). */
  u: Uint8Array;
  v: Uint8Array;
  w: Uint8Array;
  /** AES-256-GCM ciphertext followed by its 16-byte tag. */
  aesCiphertext: Uint8Array;
  nonce: Uint8Array;
  cipherSuite: Uint8Array;
}

/** drand's message for round n: sha256 of the round as 8 big-endian bytes. */
export function roundMessage(round: number | bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(round), false);
  return sha256(bytes);
}

/** The IBE identity of a round: the G1 point drand signs. */
export function roundIdentity(round: number | bigint): G1 {
  return bls.G1.hashToCurve(roundMessage(round), { DST: QUICKNET_DST }) as G1;
}

/** Whether `signature` (48-byte compressed G1) is the beacon's signature of `round`. */
export function verifyRoundSignature(round: number | bigint, signature: Uint8Array, publicKey: Uint8Array = hexToBytes(DRAND_QUICKNET.publicKey)): boolean {
  const sig = bls.G1.Point.fromBytes(signature);
  const pk = bls.G2.Point.fromBytes(publicKey);
  return bls.fields.Fp12.eql(bls.pairing(sig, bls.G2.Point.BASE), bls.pairing(roundIdentity(round), pk));
}

/** A GT element as arkworks serializes it (576 bytes). */
export function serializeGt(x: Fp12): Uint8Array {
  const out = new Uint8Array(12 * FP_BYTES);
  let offset = 0;
  for (const c6 of [x.c0, x.c1]) {
    for (const c2 of [c6.c0, c6.c1, c6.c2]) {
      for (const c of [c2.c0, c2.c1]) {
        let v = c;
        for (let i = 0; i < FP_BYTES; i++) {
          out[offset + i] = Number(v & 0xffn);
          v >>= 8n;
        }
        offset += FP_BYTES;
      }
    }
  }
  return out;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new TlockError(`xor of ${a.length} and ${b.length} bytes`);
  return a.map((x, i) => x ^ b[i]!);
}

/** sha256(a ‖ b) as a scalar: big-endian, reduced mod the group order. */
function hashToScalar(a: Uint8Array, b: Uint8Array): bigint {
  const order = bls.fields.Fr.ORDER;
  return BigInt(`0x${bytesToHex(sha256(u8aConcat(a, b)))}`) % order;
}

function u64le(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

function vec(bytes: Uint8Array): Uint8Array {
  return u8aConcat(u64le(bytes.length), bytes);
}

export function serializeTlockCiphertext(ct: TlockCiphertext): Uint8Array {
  const body = u8aConcat(vec(ct.aesCiphertext), vec(ct.nonce));
  return u8aConcat(ct.u, vec(ct.v), vec(ct.w), vec(body), vec(ct.cipherSuite));
}

/** Parses a serialized ciphertext; throws `TlockError` on any structural problem or trailing bytes. */
export function parseTlockCiphertext(bytes: Uint8Array): TlockCiphertext {
  let p = 0;
  const take = (n: number, what: string) => {
    if (p + n > bytes.length) throw new TlockError(`truncated ciphertext: ${what} needs ${n} bytes at offset ${p}, ${bytes.length - p} left`);
    const out = bytes.slice(p, p + n);
    p += n;
    return out;
  };
  const takeVec = (what: string, max: number) => {
    const len = new DataView(take(8, `${what} length`).buffer).getBigUint64(0, true);
    if (len > BigInt(max)) throw new TlockError(`${what} is ${len} bytes; at most ${max} expected`);
    return take(Number(len), what);
  };
  const u = take(96, 'U');
  const v = takeVec('V', 32);
  const w = takeVec('W', 32);
  const body = takeVec('body', bytes.length);
  const cipherSuite = takeVec('cipher suite', 64);
  if (p !== bytes.length) throw new TlockError(`${bytes.length - p} trailing bytes after the ciphertext`);
  let q = 0;
  const takeBody = (what: string) => {
    if (q + 8 > body.length) throw new TlockError(`truncated body: ${what}`);
    const len = Number(new DataView(body.slice(q, q + 8).buffer).getBigUint64(0, true));
    q += 8;
    if (q + len > body.length) throw new TlockError(`truncated body: ${what}`);
    const out = body.slice(q, q + len);
    q += len;
    return out;
  };
  const aesCiphertext = takeBody('AES ciphertext');
  const nonce = takeBody('nonce');
  if (q !== body.length) throw new TlockError('trailing bytes in the body');
  return { u, v, w, aesCiphertext, nonce, cipherSuite };
}

export interface TlockEncryptOptions {
  /** The beacon's public key (96-byte compressed G2; default drand quicknet). */
  publicKey?: Uint8Array;
  /** Fixed randomness, for reproducing a known ciphertext in tests; random by default. */
  key?: Uint8Array;
  sigma?: Uint8Array;
  nonce?: Uint8Array;
}

/** Encrypts `message` so that only the beacon's signature of `round` can decrypt it. */
export function tlockEncrypt(message: Uint8Array, round: number | bigint, options: TlockEncryptOptions = {}): Uint8Array {
  const publicKey = bls.G2.Point.fromBytes(options.publicKey ?? hexToBytes(DRAND_QUICKNET.publicKey));
  const key = options.key ?? randomBytes(32);
  const nonce = options.nonce ?? randomBytes(12);
  if (key.length !== 32 || nonce.length !== 12) throw new TlockError('the AES key is 32 bytes and the nonce 12');
  // σ = sha256 of a random scalar's 32-byte little-endian encoding.
  const sigma =
    options.sigma ??
    sha256(
      bls.fields.Fr.toBytes(bls.fields.Fr.fromBytes(randomBytes(32)))
        .slice()
        .reverse(),
    );
  if (sigma.length !== 32) throw new TlockError('sigma is 32 bytes');
  const r = hashToScalar(sigma, key);
  if (r === 0n) throw new TlockError('degenerate randomness');
  const u = bls.G2.Point.BASE.multiply(r) as G2;
  const gid = bls.pairing(roundIdentity(round), publicKey.multiply(r) as G2);
  const v = xor(sigma, sha256(serializeGt(gid)));
  const w = xor(key, sha256(sigma));
  const aesCiphertext = gcm(key, nonce).encrypt(message);
  return serializeTlockCiphertext({ u: u.toBytes(true), v, w, aesCiphertext, nonce, cipherSuite: CIPHER_SUITE });
}

/** Decrypts with the beacon's signature of the round (48-byte compressed G1); throws `TlockError` when it is not the key. */
export function tlockDecrypt(ciphertext: Uint8Array, signature: Uint8Array): Uint8Array {
  const ct = parseTlockCiphertext(ciphertext);
  if (bytesToHex(ct.cipherSuite) !== bytesToHex(CIPHER_SUITE))
    throw new TlockError(`unknown cipher suite ${JSON.stringify(new TextDecoder().decode(ct.cipherSuite))}`);
  if (ct.v.length !== 32 || ct.w.length !== 32) throw new TlockError('V and W are 32 bytes');
  let u: G2;
  let sig: G1;
  try {
    u = bls.G2.Point.fromBytes(ct.u) as G2;
    u.assertValidity();
    sig = bls.G1.Point.fromBytes(signature) as G1;
    sig.assertValidity();
  } catch (err) {
    throw new TlockError(`not a valid curve point: ${(err as Error).message}`);
  }
  const sigma = xor(ct.v, sha256(serializeGt(bls.pairing(sig, u))));
  const key = xor(ct.w, sha256(sigma));
  if (!bls.G2.Point.BASE.multiply(hashToScalar(sigma, key)).equals(u)) throw new TlockError('the signature does not open this ciphertext (wrong round or key)');
  try {
    return gcm(key, ct.nonce).decrypt(ct.aesCiphertext);
  } catch {
    throw new TlockError('the AES-GCM body does not authenticate');
  }
}

/** The IBE part of a ciphertext opened with a round signature: σ and the AES key (for tests and audits). */
export function tlockOpenHeader(ciphertext: Uint8Array, signature: Uint8Array): { sigma: Uint8Array; key: Uint8Array } {
  const ct = parseTlockCiphertext(ciphertext);
  const sigma = xor(ct.v, sha256(serializeGt(bls.pairing(bls.G1.Point.fromBytes(signature), bls.G2.Point.fromBytes(ct.u)))));
  return { sigma, key: xor(ct.w, sha256(sigma)) };
}

/**
 * Subtensor's `WeightsTlockPayload`, SCALE-encoded: `hotkey: Vec<u8>` (the 32-byte account id),
 * `uids: Vec<u16>`, `values: Vec<u16>`, `version_key: u64`.
 */
export function encodeWeightsTlockPayload(input: { hotkey: Uint8Array; uids: readonly number[]; values: readonly number[]; versionKey: number }): Uint8Array {
  const u16s = (xs: readonly number[]) => {
    const body = new Uint8Array(xs.length * 2);
    xs.forEach((x, i) => {
      if (!Number.isInteger(x) || x < 0 || x > 0xffff) throw new TlockError(`${x} is not a u16`);
      body[2 * i] = x & 0xff;
      body[2 * i + 1] = x >> 8;
    });
    return u8aConcat(compactToU8a(xs.length), body);
  };
  return u8aConcat(compactToU8a(input.hotkey.length), input.hotkey, u16s(input.uids), u16s(input.values), u64le(input.versionKey));
}

/** The drand round whose pulse is published at `unixSeconds` (rounds start at 1 at genesis). */
export function drandRoundAt(unixSeconds: number, beacon: { genesisTime: number; periodSeconds: number } = DRAND_QUICKNET): number {
  return Math.max(1, Math.floor((unixSeconds - beacon.genesisTime) / beacon.periodSeconds) + 1);
}

/**
 * The round to encrypt a commit made at `block` for, so that it opens when the chain reveals it: the
 * chain reveals a commit in the first blocks of epoch (commit epoch + RevealPeriodEpochs) using the
 * pulse it has ingested by then. We aim at the pulse published `marginBlocks` (3) blocks after that
 * epoch starts, rounding down, so the pulse is on chain when the reveal runs but not long before.
 */
export function revealRoundFor(input: {
  block: number;
  netuid: number;
  tempo: number;
  revealPeriodEpochs: number;
  nowSeconds: number;
  blockSeconds?: number;
  marginBlocks?: number;
}): number {
  const span = input.tempo + 1;
  const epoch = Math.floor((input.block + input.netuid + 1) / span);
  const firstRevealBlock = (epoch + input.revealPeriodEpochs) * span - input.netuid - 1;
  const target = firstRevealBlock + (input.marginBlocks ?? 3);
  const seconds = input.nowSeconds + Math.max(0, target - input.block) * (input.blockSeconds ?? 12);
  return Math.max(1, Math.floor((seconds - DRAND_QUICKNET.genesisTime) / DRAND_QUICKNET.periodSeconds));
}
