/**
 * The env server's framing (docs/training.md, "Transport"): one message is
 *
 *   u32 LE body length | u32 LE header length | header (UTF-8 JSON) | zero padding to 8 | arrays
 *
 * where `header.arrays` lists the binary arrays that follow, in order, as {name, dtype, shape}; each
 * array starts on an 8-byte boundary of the body, so a reader can view it in place (numpy's
 * `frombuffer`) without copying. Observations travel as raw little-endian arrays — no JSON numbers,
 * no base64 — which is what makes thousands of steps per second possible from Python. Pure: no I/O.
 */

export const WIRE_DTYPES = { float64: 8, float32: 4, uint8: 1, int32: 4 } as const;
export type WireDtype = keyof typeof WIRE_DTYPES;

export type WireArrayData = Float64Array | Float32Array | Uint8Array | Int32Array;

export interface WireArray {
  name: string;
  dtype: WireDtype;
  shape: number[];
  data: WireArrayData;
}

export interface WireMessage {
  header: Record<string, unknown>;
  arrays: WireArray[];
}

/** Largest body a peer may send (a step of 64 envs with images is ~2.7 MB). */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;
/** Largest JSON header a peer may send. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

const pad8 = (n: number) => (n + 7) & ~7;

function dtypeOf(data: WireArrayData): WireDtype {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** Encodes a message into one buffer (one socket write). */
export function encodeMessage(header: Record<string, unknown>, arrays: readonly { name: string; shape: number[]; data: WireArrayData }[] = []): Buffer {
  const described = arrays.map((a) => {
    const count = a.shape.reduce((x, y) => x * y, 1);
    if (count !== a.data.length) throw new Error(`wire array ${a.name}: shape ${a.shape.join('×')} needs ${count} values, has ${a.data.length}`);
    return { name: a.name, dtype: dtypeOf(a.data), shape: a.shape };
  });
  const headerBytes = Buffer.from(JSON.stringify({ ...header, arrays: described }), 'utf8');
  let size = pad8(4 + headerBytes.length);
  const offsets = arrays.map((a) => {
    const at = size;
    size = pad8(size + a.data.byteLength);
    return at;
  });
  const out = Buffer.alloc(4 + size);
  out.writeUInt32LE(size, 0);
  out.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(out, 8);
  arrays.forEach((a, i) => {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), 4 + offsets[i]!);
  });
  return out;
}

export class WireError extends Error {
  override name = 'WireError';
}

/** Decodes one body (without its 4-byte length prefix). Arrays are copies, safe to keep. */
export function decodeBody(body: Buffer): WireMessage {
  if (body.length < 4) throw new WireError('message too short');
  const headerLength = body.readUInt32LE(0);
  if (headerLength > MAX_HEADER_BYTES || 4 + headerLength > body.length) throw new WireError('bad header length');
  let header: unknown;
  try {
    header = JSON.parse(body.subarray(4, 4 + headerLength).toString('utf8'));
  } catch {
    throw new WireError('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new WireError('header is not an object');
  const described = (header as { arrays?: unknown }).arrays ?? [];
  if (!Array.isArray(described)) throw new WireError('header.arrays is not a list');
  let at = pad8(4 + headerLength);
  const arrays: WireArray[] = [];
  for (const d of described as { name?: unknown; dtype?: unknown; shape?: unknown }[]) {
    if (
      typeof d?.name !== 'string' ||
      typeof d.dtype !== 'string' ||
      !(d.dtype in WIRE_DTYPES) ||
      !Array.isArray(d.shape) ||
      !d.shape.every((s) => Number.isSafeInteger(s) && s >= 0)
    ) {
      throw new WireError('bad array description');
    }
    const dtype = d.dtype as WireDtype;
    const shape = d.shape as number[];
    const count = shape.reduce((x, y) => x * y, 1);
    const bytes = count * WIRE_DTYPES[dtype];
    if (at + bytes > body.length) throw new WireError(`array ${d.name} runs past the message`);
    const copy = new Uint8Array(bytes);
    copy.set(body.subarray(at, at + bytes));
    const data =
      dtype === 'float64'
        ? new Float64Array(copy.buffer)
        : dtype === 'float32'
          ? new Float32Array(copy.buffer)
          : dtype === 'int32'
            ? new Int32Array(copy.buffer)
            : copy;
    arrays.push({ name: d.name, dtype, shape, data });
    at = pad8(at + bytes);
  }
  delete (header as { arrays?: unknown }).arrays;
  return { header: header as Record<string, unknown>, arrays };
}

/**
 * Splits a byte stream into message bodies. `push` returns the complete bodies received so far;
 * a length over `maxBody` throws (the peer is broken or hostile: drop the connection).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxBody = MAX_BODY_BYTES) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const size = this.chunks[0]!.readUInt32LE(0);
      if (size > this.maxBody) throw new WireError(`message of ${size} bytes exceeds the limit of ${this.maxBody}`);
      // Join the chunks only once the whole message is here (large messages arrive in many pieces).
      if (this.buffered < 4 + size) break;
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      out.push(head.subarray(4, 4 + size));
      const rest = head.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return out;
  }
}
