/**
 * Hotkeys (sr25519, SS58 prefix 42) from a secret URI (`//Alice`, a mnemonic, `mnemonic//derive`) or
 * from a Bittensor wallet's hotkey file `~/.bittensor/wallets/<wallet>/hotkeys/<hotkey>`: JSON with
 * `secretPhrase`, `secretSeed`, `privateKey`, `publicKey`, `ss58Address` (btwallet's keyfile). The
 * phrase is preferred, then the seed, then the 64-byte private key — the same order btwallet uses.
 * Encrypted hotkey files are refused with a clear message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { expandHome, writeSecretFile } from '../secret-file.ts';
import type { KeyringPair } from '@polkadot/keyring/types';
import { hexToU8a, isHex, stringToU8a, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, mnemonicValidate, signatureVerify } from '@polkadot/util-crypto';

export const SS58_PREFIX = 42;

export class KeyError extends Error {
  override name = 'KeyError';
}

export interface HotkeySource {
  /** Secret URI: mnemonic, `//Dev` path, or hex seed (KINITRO_HOTKEY_URI). Wins over the wallet options. */
  hotkeyUri?: string;
  walletName?: string;
  hotkeyName?: string;
  /** Root of the wallets (default ~/.bittensor/wallets). */
  walletPath?: string;
}

let keyring: Keyring | undefined;

async function sr25519Keyring(): Promise<Keyring> {
  await cryptoWaitReady();
  keyring ??= new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX });
  return keyring;
}

export async function hotkeyFromUri(uri: string): Promise<KeyringPair> {
  const ring = await sr25519Keyring();
  const text = uri.trim();
  // @polkadot/keyring turns any short non-mnemonic string into a padded seed: a mistyped mnemonic
  // would silently become another key. Accept only dev paths, hex seeds and valid BIP39 phrases.
  const phrase = text.split('//')[0]!.split('/')[0]!.trim();
  if (phrase !== '' && !isHex(phrase) && !mnemonicValidate(phrase)) {
    throw new KeyError('the hotkey URI is not a valid BIP39 mnemonic, a 0x seed or a //derivation path');
  }
  try {
    return ring.createFromUri(text);
  } catch (err) {
    throw new KeyError(`cannot derive a hotkey from the given URI: ${(err as Error).message}`);
  }
}

export { expandHome };

export function walletHotkeyFile(source: HotkeySource): string {
  const root = expandHome(source.walletPath ?? path.join('~', '.bittensor', 'wallets'));
  return path.join(root, source.walletName ?? 'default', 'hotkeys', source.hotkeyName ?? 'default');
}

const ENCRYPTED_PREFIXES = ['$NACL', '$ANSIBLE_VAULT', 'gAAAAA'];

export async function hotkeyFromWalletFile(file: string): Promise<KeyringPair> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyError(`cannot read hotkey file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (ENCRYPTED_PREFIXES.some((p) => text.startsWith(p))) {
    throw new KeyError(`hotkey file ${file} is encrypted; kinitro reads unencrypted hotkeys only (or pass --hotkey-uri)`);
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new KeyError(`hotkey file ${file} is not JSON`);
  }
  const ring = await sr25519Keyring();
  let pair: KeyringPair;
  if (typeof data.secretPhrase === 'string' && data.secretPhrase.trim() !== '') {
    pair = ring.addFromUri(data.secretPhrase.trim());
  } else if (typeof data.secretSeed === 'string' && isHex(data.secretSeed) && hexToU8a(data.secretSeed).length === 32) {
    pair = ring.addFromSeed(hexToU8a(data.secretSeed));
  } else if (typeof data.privateKey === 'string' && typeof data.publicKey === 'string' && isHex(data.privateKey) && isHex(data.publicKey)) {
    pair = ring.addFromPair({ secretKey: hexToU8a(data.privateKey), publicKey: hexToU8a(data.publicKey) });
    // A private key in another encoding would sign garbage silently: prove it signs for its public key.
    const probe = stringToU8a('kinitro hotkey check');
    if (!signatureVerify(probe, pair.sign(probe), pair.publicKey).isValid) {
      throw new KeyError(`hotkey file ${file}: privateKey does not match publicKey (and the file has no secretPhrase/secretSeed)`);
    }
  } else {
    throw new KeyError(`hotkey file ${file} has no secretPhrase, secretSeed or privateKey`);
  }
  if (typeof data.ss58Address === 'string' && data.ss58Address !== '' && ring.encodeAddress(ring.decodeAddress(data.ss58Address)) !== pair.address) {
    throw new KeyError(`hotkey file ${file}: its secret derives ${pair.address}, but the file says ${data.ss58Address}`);
  }
  return pair;
}

/** Resolves the hotkey: an explicit URI (flag or KINITRO_HOTKEY_URI via the CLI) wins, else the wallet file. */
export async function loadHotkey(source: HotkeySource): Promise<KeyringPair> {
  if (source.hotkeyUri && source.hotkeyUri.trim() !== '') return hotkeyFromUri(source.hotkeyUri);
  return hotkeyFromWalletFile(walletHotkeyFile(source));
}

/** Writes an unencrypted Bittensor-style hotkey file (tests and local demos). */
export async function writeWalletHotkeyFile(file: string, mnemonic: string): Promise<KeyringPair> {
  const pair = await hotkeyFromUri(mnemonic);
  const { mnemonicToMiniSecret } = await import('@polkadot/util-crypto');
  const seed = mnemonicToMiniSecret(mnemonic);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const body = {
    accountId: u8aToHex(pair.publicKey),
    publicKey: u8aToHex(pair.publicKey),
    secretPhrase: mnemonic,
    secretSeed: u8aToHex(seed),
    ss58Address: pair.address,
  };
  writeSecretFile(file, JSON.stringify(body));
  return pair;
}
