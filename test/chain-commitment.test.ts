/**
 * The commitment codec, the endpoint extension and the endpoint encryption. Crypto oracles come from
 * an independent implementation: Python's `cryptography` (X25519, ChaCha20Poly1305) and
 * `base64.b85encode`, run once with fixed keys; the vectors are pasted below.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
  buildCommitment,
  buildPublicKeyCommitment,
  byteLength,
  CommitmentError,
  decodeEndpointDeploymentId,
  isValidCommitment,
  needsDecryption,
  parseCommitment,
  parsePublicKeyCommitment,
  resolveEndpoint,
  commitmentBytesToText,
} from '../src/chain/commitment.ts';
import {
  base85Decode,
  base85Encode,
  bytesToUuid,
  CryptoError,
  decryptDeploymentId,
  encryptDeploymentId,
  generateKeypair,
  loadPublicKey,
  publicKeyFromPrivate,
  readPrivateKeyFile,
  uuidToBytes,
  writeKeypairFiles,
} from '../src/chain/crypto.ts';

const UUID = '95edf2b6-e18b-400a-8398-5573df10e5e4';
// Python oracle (cryptography 48): backend key bytes 1..32, ephemeral key bytes 101..132.
const ORACLE = {
  backendPrivate: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
  backendPublic: '07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c',
  ephemeralPrivate: Uint8Array.from({ length: 32 }, (_, i) => 101 + i),
  blob: 'R}^-g5o`BkHm-EMc|9yJtr-Kwn#CtL1;^rPi$M%FuJGXlY6;#{$-5p(N%iBrX%e3ZE+u8<6$O_`iY!q9',
};

test('parse follows the original: split(":", 3), encrypted when part 3 is "e"', (t) => {
  t.deepEqual(parseCommitment(`user/policy:abc123def456:e:${ORACLE.blob}`), {
    repo: 'user/policy',
    revision: 'abc123def456',
    deploymentId: '',
    encryptedBlob: ORACLE.blob,
  });
  t.deepEqual(parseCommitment(`user/policy:abc123:${UUID}`), { repo: 'user/policy', revision: 'abc123', deploymentId: UUID, encryptedBlob: null });
  t.deepEqual(
    parseCommitment('a:b:c:d:e'),
    { repo: 'a', revision: 'b', deploymentId: 'c', encryptedBlob: null },
    'a 4th part of a plain commitment is discarded',
  );
  t.deepEqual(parseCommitment('a:b:e'), { repo: 'a', revision: 'b', deploymentId: 'e', encryptedBlob: null });
  t.is(parseCommitment('a:b'), null);
  t.is(parseCommitment(''), null);
  const enc = parseCommitment('a:b:e:blob')!;
  t.true(isValidCommitment(enc));
  t.true(needsDecryption(enc));
  t.false(isValidCommitment(parseCommitment('a::c')!));
});

test('build truncates the revision, refuses ":" and more than 128 bytes', (t) => {
  t.is(buildCommitment({ repo: 'user/policy', revision: 'abc123def4567890', deploymentId: UUID }), `user/policy:abc123de:${UUID}`);
  t.throws(() => buildCommitment({ repo: 'user:policy', revision: 'abc', deploymentId: UUID }), { instanceOf: CommitmentError });
  t.throws(() => buildCommitment({ repo: 'user/policy', revision: 'abc', deploymentId: 'a:b' }), { message: /":"/ });
  t.throws(() => buildCommitment({ repo: `u/${'x'.repeat(90)}`, revision: 'abc', deploymentId: UUID }), { message: /128/ });
  t.throws(() => buildCommitment({ repo: 'user/policy', revision: 'abc', deploymentId: 'evil.com#' }), { message: /host label/ });
  t.throws(() => buildCommitment({ repo: 'user/policy', revision: 'abc' }), { message: /exactly one/ });
  const encrypted = buildCommitment({ repo: 'user/policy', revision: 'abc123def456', encryptedBlob: ORACLE.blob });
  t.true(byteLength(encrypted) <= 128, 'a full encrypted commitment for user/policy fits');
});

test('self-hosted endpoints: "@" + escaped URL, unusable (not misparsed) by the original, resolved by us', (t) => {
  const text = buildCommitment({ repo: 'user/policy', revision: 'abc12345', endpoint: 'http://10.0.0.5:8001/' });
  t.is(text, 'user/policy:abc12345:@http%3A//10.0.0.5%3A8001');
  const parsed = parseCommitment(text)!;
  t.is(parsed.deploymentId, '@http%3A//10.0.0.5%3A8001', 'the original keeps it as a deployment id');
  // What the original would connect to: `https://@http%3A//….deployments.basilica.ai`, whose host
  // is "http%3A" — not a valid host, so no request can reach anything.
  const originalUrl = `https://${parsed.deploymentId}.deployments.basilica.ai`;
  t.throws(() => new URL(originalUrl), { code: 'ERR_INVALID_URL' } as never);
  t.is(decodeEndpointDeploymentId(parsed.deploymentId), 'http://10.0.0.5:8001');
  t.deepEqual(resolveEndpoint(parsed.deploymentId), { ok: true, url: 'http://10.0.0.5:8001', selfHosted: true });
  t.deepEqual(resolveEndpoint(UUID), { ok: true, url: `https://${UUID}.deployments.basilica.ai`, selfHosted: false });
  t.is(buildCommitment({ repo: 'a/b', revision: 'c', endpoint: 'https://x.example/p%20q' }), 'a/b:c:@https%3A//x.example/p%2520q');
  t.is(
    resolveEndpoint('@https%3A//x.example/p%2520q').ok && (resolveEndpoint('@https%3A//x.example/p%2520q') as { url: string }).url,
    'https://x.example/p%20q',
  );
  t.false(resolveEndpoint('@ftp%3A//x').ok);
  t.false(resolveEndpoint('@http%3A//user%3Apass@host').ok);
  t.false(resolveEndpoint('@%E0%A4%A').ok);
  t.false(resolveEndpoint('attacker.com/x#').ok, 'ids that would redirect the Basilica template are refused');
  t.throws(() => buildCommitment({ repo: 'a/b', revision: 'c', endpoint: 'not a url' }), { instanceOf: CommitmentError });
});

test('the operator public-key commitment is recognised in both spellings', (t) => {
  const key = 'ab'.repeat(32);
  const pk = buildPublicKeyCommitment(key);
  t.is(pk, `{"t":"pk","k":"${key}"}`);
  t.is(parsePublicKeyCommitment(pk), key);
  t.is(parsePublicKeyCommitment(JSON.stringify({ type: 'backend_pubkey', key: key.toUpperCase() })), key);
  t.is(parsePublicKeyCommitment(`user/policy:abc:${UUID}`), null);
  t.is(parsePublicKeyCommitment('{"t":"pk","k":"short"}'), null);
  // The original's weak point: this splits into 3 non-empty parts.
  t.true(isValidCommitment(parseCommitment(pk)!));
});

test('commitment bytes decode like Python errors="ignore"', (t) => {
  t.is(commitmentBytesToText(new Uint8Array([0x61, 0xff, 0x62])), 'ab');
  t.is(commitmentBytesToText(new TextEncoder().encode('héllo')), 'héllo');
});

test('base85 matches Python b85encode (RFC 1924 alphabet), with and without padding', (t) => {
  t.is(base85Encode(new TextEncoder().encode('abc')), 'VPaz');
  t.is(base85Encode(new Uint8Array([0, 1, 2, 3, 4])), '009C61O');
  t.is(base85Encode(new Uint8Array()), '');
  t.deepEqual([...base85Decode('009C61O')], [0, 1, 2, 3, 4]);
  for (let n = 0; n < 70; n += 7) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    t.deepEqual(base85Decode(base85Encode(data)), data);
  }
  t.throws(() => base85Decode('ab"cd'), { message: /Invalid base85 encoding/ });
  t.false(base85Encode(Uint8Array.from({ length: 64 }, (_, i) => i * 4)).includes(':'));
});

test('UUID conversion', (t) => {
  t.is(Buffer.from(uuidToBytes(UUID)).toString('hex'), '95edf2b6e18b400a83985573df10e5e4');
  t.is(Buffer.from(uuidToBytes(UUID.replace(/-/g, ''))).toString('hex'), '95edf2b6e18b400a83985573df10e5e4');
  t.is(bytesToUuid(uuidToBytes(UUID)), UUID);
  t.throws(() => uuidToBytes('abc123'), { message: /Invalid UUID format/ });
  t.throws(() => bytesToUuid(new TextEncoder().encode('too short')), { message: /Invalid UUID bytes length/ });
});

test('encryption reproduces the Python oracle byte for byte and decrypts it', (t) => {
  t.is(publicKeyFromPrivate(ORACLE.backendPrivate), ORACLE.backendPublic);
  t.is(encryptDeploymentId(UUID, ORACLE.backendPublic, ORACLE.ephemeralPrivate), ORACLE.blob);
  t.is(decryptDeploymentId(ORACLE.blob, ORACLE.backendPrivate), UUID);
});

test('encryption round trip, package shape, fresh ephemeral keys, wrong key and tampering', (t) => {
  const { privateKeyHex, publicKeyHex } = generateKeypair();
  t.is(privateKeyHex.length, 64);
  t.is(publicKeyHex.length, 64);
  const a = encryptDeploymentId(UUID, publicKeyHex);
  const b = encryptDeploymentId(UUID.replace(/-/g, ''), loadPublicKey(publicKeyHex));
  t.is(a.length, 80);
  t.is(base85Decode(a).length, 64);
  t.not(a, b, 'two encryptions differ');
  t.is(decryptDeploymentId(a, privateKeyHex), UUID);
  t.is(decryptDeploymentId(b, privateKeyHex), UUID);
  t.throws(() => decryptDeploymentId(a, generateKeypair().privateKeyHex), { message: /Decryption failed/ });
  const tampered = base85Decode(a);
  tampered[40] ^= 1;
  t.throws(() => decryptDeploymentId(base85Encode(tampered), privateKeyHex), { message: /Decryption failed/ });
  t.throws(() => decryptDeploymentId(a.slice(0, 75), privateKeyHex), { message: /Invalid encrypted package size/ });
  t.throws(() => loadPublicKey('abcd1234'), { message: /Invalid public key length/ });
  t.throws(() => encryptDeploymentId('not-a-uuid', publicKeyHex), { instanceOf: CryptoError });
});

test('key files: private 0600, public .pub, no silent overwrite', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-keys-'));
  try {
    const files = writeKeypairFiles(dir, 'backend');
    t.is(fs.statSync(files.privateKeyFile).mode & 0o777, 0o600);
    t.is(fs.readFileSync(files.publicKeyFile, 'utf8').trim(), files.publicKeyHex);
    const priv = readPrivateKeyFile(files.privateKeyFile);
    t.is(publicKeyFromPrivate(priv), files.publicKeyHex);
    t.throws(() => writeKeypairFiles(dir, 'backend'), { message: /already exists; pass --force/ });
    const again = writeKeypairFiles(dir, 'backend', { force: true });
    t.not(again.publicKeyHex, files.publicKeyHex);
    t.is(fs.statSync(again.privateKeyFile).mode & 0o777, 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
