/**
 * Timelock encryption for `commit_timelocked_weights`, checked against published facts and vectors:
 * - drand quicknet's public key and its signature of round 1000 (the pulse quoted by the reference
 *   implementation's tests and by Subtensor's drand pallet tests): our round identity (hash-to-G1 of
 *   sha256(round) with quicknet's DST) and point decoding verify it;
 * - a `commit_timelocked_mechanism_weights` extrinsic accepted by Bittensor mainnet (finney), whose
 *   sr25519 signature we verify over the payload we rebuild, so its ciphertext bytes are authentic
 *   output of the reference implementation: our parser reads it completely (valid G2 point, 32-byte
 *   V and W, AES-GCM body and nonce, "AES_GCM_"), and a ciphertext we make for a payload of the same
 *   size has exactly the same length and layout;
 * - the pairing value hashed into V is the one arkworks computes: its final exponentiation (the chain
 *   of exp-by-x steps of its BLS12 implementation) and @noble/curves' agree, both being (p⁴−p²+1)/r · 3.
 * What no published vector allows is decrypting a reference ciphertext: the reference tests encrypt
 * with fresh randomness and the mainnet ciphertext opens only with a pulse we do not have offline.
 */
import test from 'ava';
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { hexToU8a, u8aConcat, compactToU8a, compactFromU8a, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, decodeAddress, signatureVerify } from '@polkadot/util-crypto';
import {
  drandRoundAt,
  encodeWeightsTlockPayload,
  parseTlockCiphertext,
  revealRoundFor,
  roundIdentity,
  serializeTlockCiphertext,
  tlockDecrypt,
  tlockEncrypt,
  tlockOpenHeader,
  TlockError,
  verifyRoundSignature,
  DRAND_QUICKNET,
} from '../src/chain/tlock.ts';

const ROUND_1000_SIGNATURE = hexToU8a('0xb44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39');

/** Bittensor finney: subtensorModule.commit_timelocked_mechanism_weights (call 7/118), spec 467. */
const MAINNET = {
  genesisHash: '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03',
  blockHash: '0x98ff84421e7a905e4710c6292cc756f94e727b9d4734fb0f07aa28c604c8e76a',
  specVersion: 0x1d3,
  transactionVersion: 1,
  era: '0x1605',
  nonce: 0x86eb,
  method:
    '0x0776070000bd04add79c4f91c9b56920e48e41d7de2bb50289966534371c16faa5a023d0052165283424fbb6f6b4121516acb75f50f2181301bd76c3df06e40409b293b2e4e6d4c5d29dfaf57239e2d21ec7a65f1fdd00905d91dee6baebc895c9deb76849c8cf2000000000000000ce281554cf945eba34e9159487c3fe6854f039ebfb99c23e56075b6782187c402000000000000000c6650336df21d47c5cbd05e202b072c38c7d9c7ff7dad2ff9811ebddb41b3e7067000000000000004b0000000000000045f7265fea37fb03a04611dac062e06e03585ba9c05a17784e6a34efb1a7f787b4b9e5c5dd615c1746f01a2806db82524a93f616fe8981c62ab4ec28fe9839b75d0608593f6f72aceaaca10c00000000000000f6e30fc8e613b20200bf45fe08000000000000004145535f47434d5fef79ed01000000000400',
  signer: '0x50aa5d2960d8135bcdaf080a6a8a5a592600859029b492040b74dd3c5ecbd676',
  signature: '0xac4179f7f518755b5cd40d1e31d02c9967a0606c0ae3c077af91147938a4ed4b82e84ab8fc6d9d5a8cfd0260ecd014c7c330cf9c7901f95c1e50a1460103a688',
};

/** The mainnet call's arguments: netuid, mecid, the commit bytes, reveal_round, commit_reveal_version. */
function mainnetCall() {
  const call = hexToU8a(MAINNET.method);
  const [pallet, index] = [call[0], call[1]];
  const netuid = call[2]! | (call[3]! << 8);
  const mecid = call[4];
  const [lenBytes, len] = compactFromU8a(call.subarray(5));
  const start = 5 + lenBytes;
  const commit = call.slice(start, start + len.toNumber());
  const tail = call.subarray(start + len.toNumber());
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  return { pallet, index, netuid, mecid, commit, revealRound: Number(view.getBigUint64(0, true)), version: view.getUint16(8, true), rest: tail.length - 10 };
}

test('drand quicknet: the published signature of round 1000 verifies against our round identity; other rounds do not', (t) => {
  t.true(verifyRoundSignature(1000, ROUND_1000_SIGNATURE));
  t.false(verifyRoundSignature(1001, ROUND_1000_SIGNATURE));
  t.false(verifyRoundSignature(999, ROUND_1000_SIGNATURE));
});

test('the mainnet vector is authentic: the sr25519 signature verifies over the payload rebuilt around its call', async (t) => {
  await cryptoWaitReady();
  const payload = u8aConcat(
    hexToU8a(MAINNET.method),
    hexToU8a(MAINNET.era),
    compactToU8a(MAINNET.nonce),
    compactToU8a(0), // tip
    new Uint8Array([0]), // CheckMetadataHash mode: disabled
    new Uint8Array(new Uint32Array([MAINNET.specVersion]).buffer),
    new Uint8Array(new Uint32Array([MAINNET.transactionVersion]).buffer),
    hexToU8a(MAINNET.genesisHash),
    hexToU8a(MAINNET.blockHash),
    new Uint8Array([0]), // no metadata hash
  );
  const signed = payload.length > 256 ? blake2AsU8a(payload, 256) : payload;
  t.true(signatureVerify(signed, MAINNET.signature, MAINNET.signer).isValid);
  const tampered = hexToU8a(MAINNET.method);
  tampered[100] ^= 1;
  t.false(signatureVerify(blake2AsU8a(u8aConcat(tampered, payload.subarray(tampered.length)), 256), MAINNET.signature, MAINNET.signer).isValid);
});

test('the mainnet ciphertext parses completely in our layout, and ours for a same-size payload has its exact shape', (t) => {
  const call = mainnetCall();
  t.deepEqual([call.pallet, call.index, call.mecid, call.version, call.rest], [7, 118, 0, 4, 0]);
  t.is(call.commit.length, 303);
  const ct = parseTlockCiphertext(call.commit);
  t.is(ct.v.length, 32);
  t.is(ct.w.length, 32);
  t.is(ct.nonce.length, 12);
  t.is(new TextDecoder().decode(ct.cipherSuite), 'AES_GCM_');
  const u = bls.G2.Point.fromBytes(ct.u);
  t.notThrows(() => u.assertValidity(), 'U is a point of the G2 subgroup');
  // 75 bytes of AES output = 59 bytes of plaintext + 16 of tag: WeightsTlockPayload with a 32-byte hotkey and 4 weights.
  t.is(ct.aesCiphertext.length, 75);
  const payload = encodeWeightsTlockPayload({ hotkey: decodeAddress(MAINNET.signer), uids: [0, 1, 2, 3], values: [1, 2, 3, 4], versionKey: 1 });
  t.is(payload.length, 59);
  const ours = tlockEncrypt(payload, call.revealRound);
  t.is(ours.length, call.commit.length);
  const mine = parseTlockCiphertext(ours);
  // Same framing bytes (lengths, suite) everywhere the two can only differ by randomness.
  const frame = (bytes: Uint8Array) =>
    u8aToHex(u8aConcat(bytes.subarray(96, 104), bytes.subarray(136, 144), bytes.subarray(176, 192), bytes.subarray(267, 275), bytes.subarray(287)));
  t.is(frame(ours), frame(call.commit));
  t.deepEqual(serializeTlockCiphertext(mine), ours);
  t.deepEqual(serializeTlockCiphertext(ct), call.commit, 'parse → serialize reproduces the mainnet bytes');
});

test('the pairing value our V hashes is the one arkworks computes (its final exponentiation, step by step)', (t) => {
  const Fp12 = bls.fields.Fp12;
  const f = bls.pairing(roundIdentity(1000), bls.G2.Point.fromBytes(hexToU8a(`0x${DRAND_QUICKNET.publicKey}`)), false);
  // Easy part f^((p⁶−1)(p²+1)), then arkworks' hard part: exp-by-x steps computing m^(3(p⁴−p²+1)/r).
  const easy = (() => {
    const t1 = Fp12.mul(Fp12.conjugate(f), Fp12.inv(f));
    return Fp12.mul(Fp12.frobeniusMap(t1, 2), t1);
  })();
  const expByX = (x: typeof f) => Fp12.conjugate(Fp12._cyclotomicExp(x, bls.params.ateLoopSize));
  let r = easy;
  let y0 = Fp12._cyclotomicSquare(r);
  let y1 = Fp12.mul(expByX(r), Fp12.conjugate(r));
  let y2 = expByX(y1);
  y1 = Fp12.mul(Fp12.conjugate(y1), y2);
  y2 = expByX(y1);
  y1 = Fp12.mul(Fp12.frobeniusMap(y1, 1), y2);
  r = Fp12.mul(r, y0);
  y0 = expByX(y1);
  y2 = expByX(y0);
  y0 = Fp12.frobeniusMap(y1, 2);
  y1 = Fp12.mul(Fp12.mul(Fp12.conjugate(y1), y2), y0);
  r = Fp12.mul(r, y1);
  t.true(Fp12.eql(r, Fp12.finalExponentiate(f)));
  const p = bls.fields.Fp.ORDER;
  t.true(Fp12.eql(r, Fp12.pow(easy, (3n * (p ** 4n - p ** 2n + 1n)) / bls.fields.Fr.ORDER)));
});

test('encrypt → decrypt with a beacon key of our own; the wrong round or a tampered body is refused', (t) => {
  const secret = bls.fields.Fr.fromBytes(hexToU8a('0x1111111111111111111111111111111111111111111111111111111111111111'));
  const publicKey = bls.G2.Point.BASE.multiply(secret).toBytes(true);
  const signatureOf = (round: number) => roundIdentity(round).multiply(secret).toBytes(true);
  t.true(verifyRoundSignature(42, signatureOf(42), publicKey));
  const message = encodeWeightsTlockPayload({ hotkey: new Uint8Array(32).fill(7), uids: [0, 5], values: [65535, 100], versionKey: 3 });
  const ct = tlockEncrypt(message, 42, { publicKey });
  t.deepEqual(tlockDecrypt(ct, signatureOf(42)), message);
  t.throws(() => tlockDecrypt(ct, signatureOf(43)), { instanceOf: TlockError, message: /does not open/ });
  const tampered = ct.slice();
  tampered[tampered.length - 40] ^= 1; // inside the AES ciphertext
  t.throws(() => tlockDecrypt(tampered, signatureOf(42)), { instanceOf: TlockError, message: /authenticate/ });
  t.throws(() => parseTlockCiphertext(ct.subarray(0, 200)), { instanceOf: TlockError, message: /truncated/ });
  t.throws(() => parseTlockCiphertext(u8aConcat(ct, new Uint8Array([0]))), { instanceOf: TlockError, message: /trailing/ });
  // Deterministic given its randomness: re-encrypting with the σ, key and nonce recovered from a
  // ciphertext reproduces it byte for byte.
  const { sigma, key } = tlockOpenHeader(ct, signatureOf(42));
  t.deepEqual(tlockEncrypt(message, 42, { publicKey, sigma, key, nonce: parseTlockCiphertext(ct).nonce }), ct);
});

test('WeightsTlockPayload is SCALE: Vec<u8> hotkey, Vec<u16> uids, Vec<u16> values, u64 version key', (t) => {
  const bytes = encodeWeightsTlockPayload({ hotkey: new Uint8Array([1, 2, 3]), uids: [1, 258], values: [65535, 0], versionKey: 0x0102 });
  t.is(u8aToHex(bytes) as string, '0x0c010203' + '08' + '0100' + '0201' + '08' + 'ffff' + '0000' + '0201000000000000');
  t.throws(() => encodeWeightsTlockPayload({ hotkey: new Uint8Array(32), uids: [70000], values: [1], versionKey: 0 }), { instanceOf: TlockError });
});

test('reveal rounds: the pulse published a few blocks into the reveal epoch', (t) => {
  const now = DRAND_QUICKNET.genesisTime + 3_000_000;
  t.is(drandRoundAt(DRAND_QUICKNET.genesisTime), 1);
  t.is(drandRoundAt(now), 1_000_001);
  // netuid 1, tempo 9: block 25 is in epoch 2; reveal epoch 3 starts at block 28; +3 blocks = 31, 6 blocks = 72 s ahead.
  t.is(revealRoundFor({ block: 25, netuid: 1, tempo: 9, revealPeriodEpochs: 1, nowSeconds: now }), Math.floor((3_000_000 + 72) / 3));
  t.true(
    revealRoundFor({ block: 25, netuid: 1, tempo: 9, revealPeriodEpochs: 2, nowSeconds: now }) >
      revealRoundFor({ block: 25, netuid: 1, tempo: 9, revealPeriodEpochs: 1, nowSeconds: now }),
  );
});
