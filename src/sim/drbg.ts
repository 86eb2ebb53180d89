/**
 * The random source task instances are drawn from: a ChaCha20 keystream (RFC 8439, @noble/ciphers)
 * keyed with 256 bits derived from the instance's secret material.
 *
 * Why not the small sfc32 generator (rng.ts) that the random policy uses: a generator seeded from a
 * 32-bit state can be enumerated. A miner who sees exact random values (a camera's field of view, a
 * pixel, the way the scene reacts to a push) and knows our open generator could try every state,
 * rebuild the scene in its own copy of the simulator and replay the privileged oracle. ChaCha20 keyed
 * with 256 bits has no state to enumerate, and its outputs reveal nothing about the key.
 *
 * Pure: the same key always gives the same stream, on every machine.
 */
import { createHmac } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';

/** What generators draw from (both this and the seeded `Rng` implement it). */
export interface RandomSource {
  /** Uniform in [0, 1) with 53 bits of resolution. */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** 32 key bytes for `label` from `material` (HMAC-SHA256): independent streams per purpose. */
export function deriveKey(material: Uint8Array, label: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', material).update(label, 'utf8').digest());
}

const BLOCK_BYTES = 1024;
const NONCE = new Uint8Array(12);

export class SecureRng implements RandomSource {
  private readonly key: Uint8Array;
  private words = new Uint32Array(0);
  private index = 0;
  /** ChaCha block counter of the next refill (64 bytes per block). */
  private counter = 0;

  /** `key` must be exactly 32 bytes of secret material (use `deriveKey`). */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`SecureRng needs a 32-byte key, got ${key.length} bytes`);
    this.key = Uint8Array.from(key);
  }

  static from(material: Uint8Array, label: string): SecureRng {
    return new SecureRng(deriveKey(material, label));
  }

  nextUint32(): number {
    if (this.index >= this.words.length) this.refill();
    return this.words[this.index++]!;
  }

  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  private refill(): void {
    const bytes = chacha20(this.key, NONCE, new Uint8Array(BLOCK_BYTES), undefined, this.counter);
    this.counter += BLOCK_BYTES / 64;
    // Little-endian words regardless of the host (DataView), so streams agree across machines.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const words = new Uint32Array(BLOCK_BYTES / 4);
    for (let i = 0; i < words.length; i++) words[i] = view.getUint32(4 * i, true);
    this.words = words;
    this.index = 0;
  }
}
