/**
 * Endpoint encryption compatible with the original (`kinitro/crypto.py`, docs/original.md §7.2): X25519 between an
 * ephemeral key and the operator's key, the raw 32-byte shared secret used directly as the
 * ChaCha20-Poly1305 key, nonce = SHA-256(ephemeral public key)[0:12], no AAD; the package
 * `ephemeral_pub(32) ‖ ciphertext(16) ‖ tag(16)` is encoded with base85 (RFC 1924 / Python `b85encode`
 * alphabet, which has no `:`) into 80 characters. Only 16-byte deployment UUIDs are encrypted.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { x25519 } from '@noble/curves/ed25519.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { writeSecretFile } from '../secret-file.ts';

export class CryptoError extends Error {
  override name = 'CryptoError';
}

export const ENCRYPTED_PACKAGE_BYTES = 64;
export const ENCRYPTED_BLOB_CHARS = 80;

const B85_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
const B85_INDEX = new Map([...B85_ALPHABET].map((c, i) => [c, i]));

/** Python `base64.b85encode(data)` (pad=False). */
export function base85Encode(data: Uint8Array): string {
  const padding = (4 - (data.length % 4)) % 4;
  const padded = new Uint8Array(data.length + padding);
  padded.set(data);
  const view = new DataView(padded.buffer);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let word = view.getUint32(i, false);
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = B85_ALPHABET[word % 85]!;
      word = Math.floor(word / 85);
    }
    out += chunk.join('');
  }
  return padding ? out.slice(0, out.length - padding) : out;
}

/** Python `base64.b85decode(text)`; throws CryptoError on a bad character or overflow. */
export function base85Decode(text: string): Uint8Array {
  const padding = (5 - (text.length % 5)) % 5;
  const padded = text + '~'.repeat(padding);
  const out = new Uint8Array((padded.length / 5) * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < padded.length; i += 5) {
    let acc = 0;
    for (let j = 0; j < 5; j++) {
      const v = B85_INDEX.get(padded[i + j]!);
      if (v === undefined) throw new CryptoError(`Invalid base85 encoding: bad base85 character at position ${i + j}`);
      acc = acc * 85 + v;
    }
    if (acc > 0xffffffff) throw new CryptoError(`Invalid base85 encoding: base85 overflow in hunk starting at byte ${i}`);
    view.setUint32((i / 5) * 4, acc, false);
  }
  return padding ? out.slice(0, out.length - padding) : out;
}

/** A UUID (with or without dashes) as its 16 bytes. */
export function uuidToBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new CryptoError(`Invalid UUID format: ${uuid}`);
  return hexToBytes(hex);
}

/** 16 bytes as a lowercase 8-4-4-4-12 UUID. */
export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new CryptoError(`Invalid UUID bytes length: ${bytes.length} (expected 16)`);
  const h = bytesToHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function keyFromHex(hex: string, what: 'public' | 'private'): Uint8Array {
  const clean = hex.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]*$/.test(clean)) throw new CryptoError(`Invalid ${what} key: not hex`);
  if (clean.length !== 64) throw new CryptoError(`Invalid ${what} key length: ${clean.length / 2} bytes (expected 32)`);
  return hexToBytes(clean);
}

export function loadPublicKey(hex: string): Uint8Array {
  return keyFromHex(hex, 'public');
}

export function loadPrivateKey(hex: string): Uint8Array {
  return keyFromHex(hex, 'private');
}

export interface X25519Keypair {
  privateKeyHex: string;
  publicKeyHex: string;
}

export function generateKeypair(): X25519Keypair {
  const priv = x25519.utils.randomSecretKey();
  return { privateKeyHex: bytesToHex(priv), publicKeyHex: bytesToHex(x25519.getPublicKey(priv)) };
}

export function publicKeyFromPrivate(privateKeyHex: string): string {
  return bytesToHex(x25519.getPublicKey(loadPrivateKey(privateKeyHex)));
}

function nonceFor(ephemeralPublic: Uint8Array): Uint8Array {
  return sha256(ephemeralPublic).slice(0, 12);
}

/**
 * Encrypts a deployment UUID for the operator's public key; returns the 80-character base85 blob.
 * `ephemeralPrivateKey` is for test vectors only; normally a fresh key is drawn.
 */
export function encryptDeploymentId(deploymentId: string, backendPublicKey: string | Uint8Array, ephemeralPrivateKey?: Uint8Array): string {
  const plaintext = uuidToBytes(deploymentId);
  const pub = typeof backendPublicKey === 'string' ? loadPublicKey(backendPublicKey) : backendPublicKey;
  if (pub.length !== 32) throw new CryptoError(`Invalid public key length: ${pub.length} bytes (expected 32)`);
  const ephemeral = ephemeralPrivateKey ?? x25519.utils.randomSecretKey();
  const ephemeralPublic = x25519.getPublicKey(ephemeral);
  const shared = x25519.getSharedSecret(ephemeral, pub);
  const sealed = chacha20poly1305(shared, nonceFor(ephemeralPublic)).encrypt(plaintext);
  const pkg = new Uint8Array(ENCRYPTED_PACKAGE_BYTES);
  pkg.set(ephemeralPublic, 0);
  pkg.set(sealed, 32);
  return base85Encode(pkg);
}

/** Decrypts a blob with the operator's private key; returns the dashed UUID. */
export function decryptDeploymentId(blob: string, backendPrivateKey: string | Uint8Array): string {
  const priv = typeof backendPrivateKey === 'string' ? loadPrivateKey(backendPrivateKey) : backendPrivateKey;
  const pkg = base85Decode(blob);
  if (pkg.length !== ENCRYPTED_PACKAGE_BYTES) {
    throw new CryptoError(`Invalid encrypted package size: ${pkg.length} (expected ${ENCRYPTED_PACKAGE_BYTES})`);
  }
  const ephemeralPublic = pkg.slice(0, 32);
  let plaintext: Uint8Array;
  try {
    const shared = x25519.getSharedSecret(priv, ephemeralPublic);
    plaintext = chacha20poly1305(shared, nonceFor(ephemeralPublic)).decrypt(pkg.slice(32));
  } catch (err) {
    throw new CryptoError(`Decryption failed (invalid key or tampered data): ${(err as Error).message}`);
  }
  return bytesToUuid(plaintext);
}

/** `$XDG_CONFIG_HOME/kinitro/keys`, i.e. `~/.config/kinitro/keys` by default (as the original). */
export function defaultKeyDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'kinitro', 'keys');
}

export interface KeypairFiles {
  privateKeyFile: string;
  publicKeyFile: string;
  publicKeyHex: string;
}

/** Writes `{name}` (private, mode 0600) and `{name}.pub`; refuses to overwrite unless `force`. */
export function writeKeypairFiles(dir: string, name: string, options: { force?: boolean; keypair?: X25519Keypair } = {}): KeypairFiles {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new CryptoError(`key name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-'`);
  const privateKeyFile = path.join(dir, name);
  const publicKeyFile = `${privateKeyFile}.pub`;
  if (!options.force) {
    for (const f of [privateKeyFile, publicKeyFile]) {
      if (fs.existsSync(f)) throw new CryptoError(`${f} already exists; pass --force to overwrite it`);
    }
  }
  const keypair = options.keypair ?? generateKeypair();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Created 0600 and renamed into place: an existing (possibly looser) file is replaced, never
  // rewritten while readable by others.
  writeSecretFile(privateKeyFile, `${keypair.privateKeyHex}\n`);
  fs.writeFileSync(publicKeyFile, `${keypair.publicKeyHex}\n`, { mode: 0o644 });
  return { privateKeyFile, publicKeyFile, publicKeyHex: keypair.publicKeyHex };
}

/** Reads a private key file (hex text; surrounding whitespace ignored) and validates it. */
export function readPrivateKeyFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CryptoError(`cannot read private key file ${file}: ${(err as Error).message}`);
  }
  const hex = text.trim().toLowerCase();
  loadPrivateKey(hex);
  return hex;
}
