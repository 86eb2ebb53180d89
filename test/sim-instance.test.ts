import test from 'ava';
import { SecureRng, deriveKey } from '../src/sim/drbg.ts';
import { cycleInstance, devInstance, formatInstance, freshInstance, instanceKeySchema, parseInstance } from '../src/sim/instance.ts';
import { generateTask, type CuedTaskConfig } from '../src/sim/tasks.ts';

test('SecureRng is ChaCha20 (RFC 8439 A.1 test vector #1: zero key, zero nonce, counter 0)', (t) => {
  const rng = new SecureRng(new Uint8Array(32));
  // Keystream bytes 76 b8 e0 ad a0 f1 3d 90 … read as little-endian words.
  t.deepEqual([rng.nextUint32(), rng.nextUint32()], [0xade0b876, 0x903df1a0]);
  t.throws(() => new SecureRng(new Uint8Array(16)), { message: /32-byte/ });
});

test('SecureRng streams: deterministic per key, independent per label, refills across blocks', (t) => {
  const material = new Uint8Array(32).fill(7);
  const a = SecureRng.from(material, 'x');
  const b = SecureRng.from(material, 'x');
  const c = SecureRng.from(material, 'y');
  const sa = Array.from({ length: 1000 }, () => a.next()); // > one 1 KiB block of words
  t.deepEqual(
    sa,
    Array.from({ length: 1000 }, () => b.next()),
  );
  t.notDeepEqual(
    sa.slice(0, 10),
    Array.from({ length: 10 }, () => c.next()),
  );
  t.true(sa.every((x) => x >= 0 && x < 1));
  t.notDeepEqual(deriveKey(material, 'x'), deriveKey(material, 'y'));
  const p = new SecureRng(deriveKey(material, 'p')).permutation(5);
  t.deepEqual([...p].sort(), [0, 1, 2, 3, 4]);
});

test('instance keys: format, parse, validation', (t) => {
  const key = freshInstance('cued');
  t.regex(key, /^cued:[0-9a-f]{128}$/);
  t.true(instanceKeySchema.safeParse(key).success);
  t.is(formatInstance(parseInstance(key)), key);
  t.not(freshInstance(), freshInstance(), 'fresh instances come from the CSPRNG');
  for (const bad of ['', 'cued:', 'cued:' + 'a'.repeat(127), 'other:' + 'a'.repeat(128), 'cued:' + 'A'.repeat(128), `cued:${'a'.repeat(128)} `]) {
    t.false(instanceKeySchema.safeParse(bad).success, bad);
    t.throws(() => parseInstance(bad));
  }
});

test('development instances are reproducible per (seed, episode) and differ otherwise', (t) => {
  t.is(devInstance(5, 2), devInstance(5, 2));
  t.not(devInstance(5, 2), devInstance(5, 3));
  t.not(devInstance(5, 2), devInstance(6, 2));
  t.is(parseInstance(devInstance(5, 2, 'metaworld')).randomization, 'metaworld');
  t.throws(() => devInstance(-1, 0));
});

test('cycle instances: one layout for every miner, a variant of its own per hotkey', (t) => {
  const base = { secret: 'operator-secret', blockHash: '0xABC', envId: 'metaworld/reach-v3', episodeIndex: 3, randomization: 'cued' as const };
  const alice = parseInstance(cycleInstance({ ...base, minerHotkey: 'alice' }));
  const bob = parseInstance(cycleInstance({ ...base, minerHotkey: 'bob' }));
  t.deepEqual(alice.layout, bob.layout);
  t.notDeepEqual(alice.variant, bob.variant);
  t.deepEqual(
    cycleInstance({ ...base, minerHotkey: 'alice' }),
    cycleInstance({ ...base, blockHash: '0xabc', minerHotkey: 'alice' }),
    'block hash is case-insensitive',
  );
  t.notDeepEqual(parseInstance(cycleInstance({ ...base, minerHotkey: 'alice', secret: 'other' })).layout, alice.layout);
  t.notDeepEqual(parseInstance(cycleInstance({ ...base, minerHotkey: 'alice', episodeIndex: 4 })).layout, alice.layout);
  // Same layout ⇒ same scene; the variant only chooses the target and the colours.
  const a = generateTask('metaworld/reach-v3', cycleInstance({ ...base, minerHotkey: 'alice' })) as CuedTaskConfig;
  const b = generateTask('metaworld/reach-v3', cycleInstance({ ...base, minerHotkey: 'bob' })) as CuedTaskConfig;
  t.deepEqual(a.layout, b.layout);
  t.deepEqual(a.physics_params, b.physics_params);
  t.deepEqual(a.domain_randomization, b.domain_randomization);
});
