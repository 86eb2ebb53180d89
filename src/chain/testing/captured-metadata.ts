/**
 * Metadata captured from a real Subtensor runtime, kept beside the synthetic metadata so the same
 * offline tests run against both: `spec218-metadata.hex` is the V15 metadata that @polkadot/api
 * decorates when connected to the runtime in `test/fixtures/chain/raonet.json` (spec 218, Feb 2025),
 * read through chopsticks (`api.runtimeMetadata.toHex()`). The chopsticks tier checks that the live
 * runtime still serves exactly these bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HexString } from '../types.ts';

export interface CapturedRuntime {
  specName: string;
  specVersion: number;
  transactionVersion: number;
  file: string;
}

export const SPEC218: CapturedRuntime = {
  specName: 'node-subtensor',
  specVersion: 218,
  transactionVersion: 1,
  file: path.join(path.dirname(fileURLToPath(import.meta.url)), 'spec218-metadata.hex'),
};

const cache = new Map<string, HexString>();

/** The captured metadata as hex (`0x6d657461…`). */
export function capturedMetadataHex(runtime: CapturedRuntime = SPEC218): HexString {
  let hex = cache.get(runtime.file);
  if (!hex) {
    hex = fs.readFileSync(runtime.file, 'utf8').trim() as HexString;
    if (!/^0x6d657461[0-9a-f]+$/.test(hex)) throw new Error(`${runtime.file} does not hold hex-encoded metadata`);
    cache.set(runtime.file, hex);
  }
  return hex;
}
