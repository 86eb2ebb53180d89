/**
 * A small seeded PRNG for everything in the simulator that must be reproducible (task generation,
 * the random policy, episode seeds). sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * public domain) seeded through splitmix32, so nearby seeds give unrelated streams. Math.random is
 * never used: the same seed gives the same numbers on every machine and Node version.
 */

/** One splitmix32 step: a well-mixed 32-bit output from a 32-bit state. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/** FNV-1a over the UTF-16 code units of a string: a stable 32-bit tag for names such as env ids. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Splits a non-negative safe integer into its low and high 32-bit words. */
function words(value: number): [number, number] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${value}`);
  return [value >>> 0, Math.floor(value / 0x1_0000_0000) >>> 0];
}

/** Mixes any number of 32-bit words (and safe-integer seeds) into one 32-bit value. */
export function mixSeeds(...parts: number[]): number {
  let state = 0x6a09e667;
  for (const part of parts) {
    for (const w of words(part)) {
      let out: number;
      [state, out] = splitmix32(state ^ w);
      state = (state + out) | 0;
    }
  }
  return splitmix32(state)[1];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `parts` are non-negative safe integers (seeds, indices, hashed names) mixed into the state. */
  constructor(...parts: number[]) {
    let state = mixSeeds(...parts);
    const take = (): number => {
      let out: number;
      [state, out] = splitmix32(state);
      return out;
    };
    this.a = take();
    this.b = take();
    this.c = take();
    this.d = 1;
    // Discard the first outputs so weakly-mixed seeds do not show through.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller; the second value is discarded to keep the stream simple). */
  normal(mean = 0, std = 1): number {
    let u = this.next();
    while (u <= Number.MIN_VALUE) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
