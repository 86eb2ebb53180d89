/**
 * Transaction extensions. @polkadot/api only knows the extensions in its built-in table; an unknown one
 * is treated as carrying no data, which for Subtensor's `ChargeTransactionPaymentWrapper` (it carries
 * the compact tip) silently produces transactions the node rejects. So we declare Subtensor's custom
 * extensions — the current runtime's and older ones such as spec 218's — and, before signing anything,
 * check the live metadata: an extension that is neither built in nor declared and whose explicit or
 * implicit type is not empty makes us refuse to sign (we would be guessing its encoding), and a
 * declared extension whose metadata type disagrees with our declaration (data vs none) does too.
 */
import type { Metadata } from '@polkadot/types/metadata';
import { allExtensions } from '@polkadot/types/extrinsic/signedExtensions';
import type { ExtDef } from '@polkadot/types/extrinsic/signedExtensions/types';

const NONE = { extrinsic: {}, payload: {} };

export const SUBTENSOR_SIGNED_EXTENSIONS: ExtDef = {
  // Current runtimes (since Aug 2025): the payment wrapper carries the tip like ChargeTransactionPayment.
  ChargeTransactionPaymentWrapper: { extrinsic: { tip: 'Compact<Balance>' }, payload: {} },
  SudoTransactionExtension: NONE,
  CheckShieldedTxValidity: NONE,
  SubtensorTransactionExtension: NONE,
  DrandPriority: NONE,
  // Older runtimes (e.g. spec 218, Feb 2025).
  SubtensorSignedExtension: NONE,
  CommitmentsSignedExtension: NONE,
};

interface SiLookup {
  getSiType(id: number): {
    def: {
      isTuple: boolean;
      asTuple: { toNumber(): number }[];
      isComposite: boolean;
      asComposite: { fields: { type: { toNumber(): number } }[] };
      isArray: boolean;
      asArray: { len: { toNumber(): number }; type: { toNumber(): number } };
    };
    path: { toString(): string }[];
  };
}

/** A type that encodes to zero bytes: `()`, empty composites/tuples (recursively), `[T; 0]`. */
export function isEmptyType(lookup: SiLookup, id: number, depth = 0): boolean {
  if (depth > 32) return false;
  const def = lookup.getSiType(id).def;
  if (def.isTuple) return def.asTuple.every((t) => isEmptyType(lookup, t.toNumber(), depth + 1));
  if (def.isComposite) return def.asComposite.fields.every((f) => isEmptyType(lookup, f.type.toNumber(), depth + 1));
  if (def.isArray) return def.asArray.len.toNumber() === 0 || isEmptyType(lookup, def.asArray.type.toNumber(), depth + 1);
  return false;
}

export interface RuntimeExtension {
  identifier: string;
  explicitEmpty: boolean;
  implicitEmpty: boolean;
}

/**
 * The extensions in the metadata with whether each carries data. Read from the metadata's own version:
 * @polkadot/types 16.5's V15→V16 conversion loses the implicit type (a field-name typo), so `asLatest`
 * would report every implicit type as type 0.
 */
export function runtimeExtensions(metadata: Metadata): RuntimeExtension[] {
  const version = metadata.version;
  if (version === 16) {
    const v16 = metadata.asV16;
    return v16.extrinsic.transactionExtensions.map((e) => ({
      identifier: e.identifier.toString(),
      explicitEmpty: isEmptyType(v16.lookup as unknown as SiLookup, e.type.toNumber()),
      implicitEmpty: isEmptyType(v16.lookup as unknown as SiLookup, e.implicit.toNumber()),
    }));
  }
  const versioned = version === 15 ? metadata.asV15 : version === 14 ? metadata.asV14 : null;
  if (!versioned) throw new Error(`metadata version ${version} is not supported (need 14, 15 or 16)`);
  return versioned.extrinsic.signedExtensions.map((e) => ({
    identifier: e.identifier.toString(),
    explicitEmpty: isEmptyType(versioned.lookup as unknown as SiLookup, e.type.toNumber()),
    implicitEmpty: isEmptyType(versioned.lookup as unknown as SiLookup, e.additionalSigned.toNumber()),
  }));
}

/** Reasons not to sign against this metadata (empty when signing is safe). */
export function extensionProblems(metadata: Metadata, declared: ExtDef = SUBTENSOR_SIGNED_EXTENSIONS): string[] {
  const problems: string[] = [];
  for (const ext of runtimeExtensions(metadata)) {
    const ours = declared[ext.identifier];
    if (ours) {
      const declaredExplicit = Object.keys(ours.extrinsic).length > 0;
      const declaredImplicit = Object.keys(ours.payload).length > 0;
      if (declaredExplicit === ext.explicitEmpty || declaredImplicit === ext.implicitEmpty) {
        problems.push(
          `${ext.identifier}: declared as carrying ${declaredExplicit ? 'data' : 'nothing'} (signed) / ${declaredImplicit ? 'data' : 'nothing'} (implicit), ` +
            `but the runtime's types carry ${ext.explicitEmpty ? 'nothing' : 'data'} / ${ext.implicitEmpty ? 'nothing' : 'data'}`,
        );
      }
      continue;
    }
    if (allExtensions[ext.identifier]) continue;
    if (!ext.explicitEmpty || !ext.implicitEmpty) {
      problems.push(`${ext.identifier}: unknown transaction extension that carries data; its encoding cannot be guessed`);
    }
  }
  return problems;
}
