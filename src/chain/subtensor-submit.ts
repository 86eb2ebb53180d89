/**
 * One signed extrinsic on its way into a block, and how provider errors map to kinitro's chain
 * errors. SubtensorChain (subtensor.ts) serialises submissions per hotkey and picks the nonce; this
 * signs, sends and waits for inclusion under a deadline.
 */
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { DispatchError } from '@polkadot/types/interfaces';
import type { Codec, Registry } from '@polkadot/types/types';
import { stringUpperFirst } from '@polkadot/util';
import { ChainConnectionError, ChainModuleError, ChainSubmitError, ChainTimeoutError, UnsupportedRuntimeError } from './errors.ts';
import type { HexString, HotkeySigner } from './types.ts';

export interface InclusionOptions {
  /** The call's name in errors. */
  label: string;
  nonce: Codec;
  /** Mortality in blocks. */
  era: number;
  /** Deadline from submission to inclusion. */
  timeoutMs: number;
  /** The registry that names a module error (the client's current API's, when the error arrives). */
  registry(): Registry;
}

/** Signs and sends `tx`; resolves with the hash of the block that included it, rejects with a chain error. */
export function inclusion(tx: SubmittableExtrinsic<'promise'>, signer: HotkeySigner, options: InclusionOptions): Promise<HexString> {
  const { label, nonce } = options;
  return new Promise<HexString>((resolve, reject) => {
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new ChainTimeoutError(`${label} was not included within ${options.timeoutMs} ms`))), options.timeoutMs);
    tx.signAndSend(signer, { nonce, era: options.era, tip: 0 }, (result) => {
      const status = result.status;
      if (status.isInBlock || status.isFinalized) {
        const hash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        const dispatchError = result.dispatchError;
        finish(() => (dispatchError ? reject(moduleError(options.registry(), dispatchError)) : resolve(hash)));
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        finish(() => reject(new ChainSubmitError(`${label}: the node reported the transaction ${status.type}`, true)));
      }
    })
      .then((unsub) => {
        unsubscribe = unsub;
        if (settled) unsub();
      })
      .catch((err: unknown) => finish(() => reject(toChainError(err))));
  });
}

function moduleError(registry: Registry, err: DispatchError): Error {
  if (err.isModule) {
    try {
      const meta = registry.findMetaError(err.asModule);
      return new ChainModuleError(stringUpperFirst(meta.section), meta.name);
    } catch {
      return new ChainModuleError('Unknown', err.asModule.toString());
    }
  }
  return new ChainModuleError('System', err.type);
}

const TRANSIENT_SUBMIT = /stale|future|priority|pool|temporarily|exhausts|1014|1016|Immediately Dropped/i;

/** Classifies errors thrown by the provider / RPC layer. */
export function toChainError(err: unknown): Error {
  if (
    err instanceof ChainTimeoutError ||
    err instanceof ChainModuleError ||
    err instanceof ChainSubmitError ||
    err instanceof UnsupportedRuntimeError ||
    err instanceof ChainConnectionError
  ) {
    return err;
  }
  const message = (err as Error)?.message ?? String(err);
  if (/^\s*-?10\d\d:/.test(message) || /Invalid Transaction|bad signature/i.test(message)) return new ChainSubmitError(message, TRANSIENT_SUBMIT.test(message));
  if (/disconnect|not connected|socket|ECONNREFUSED|ECONNRESET|closed/i.test(message)) return new ChainConnectionError(message);
  return err instanceof Error ? err : new Error(message);
}
