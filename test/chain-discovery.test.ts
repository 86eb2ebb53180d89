import test from 'ava';
import { discoverMiners } from '../src/chain/discovery.ts';
import { encryptDeploymentId, generateKeypair } from '../src/chain/crypto.ts';
import { buildCommitment, buildPublicKeyCommitment } from '../src/chain/commitment.ts';
import type { ChainCommitment, Neuron } from '../src/chain/types.ts';

const UUID = '95edf2b6-e18b-400a-8398-5573df10e5e4';
const operator = generateKeypair();

function snapshot(entries: [hotkey: string, data: string | null, block?: number][]) {
  const neurons: Neuron[] = entries.map(([hotkey], uid) => ({ uid, hotkey }));
  const commitments: ChainCommitment[] = entries.flatMap(([hotkey, data, block], uid) =>
    data === null ? [] : [{ uid, hotkey, data, block: block ?? 100 + uid }],
  );
  return { block: 500, blockHash: '0xabc' as const, neurons, commitments };
}

test('valid plain, encrypted and self-hosted commitments become miners; everything else is skipped with a reason', (t) => {
  const encrypted = buildCommitment({ repo: 'user/enc', revision: 'abcdef12', encryptedBlob: encryptDeploymentId(UUID, operator.publicKeyHex) });
  const foreignKey = buildCommitment({ repo: 'user/enc', revision: 'abcdef12', encryptedBlob: encryptDeploymentId(UUID, generateKeypair().publicKeyHex) });
  const snap = snapshot([
    ['hk-plain', `user/plain:abc12345:${UUID}`, 42],
    ['hk-enc', encrypted],
    ['hk-self', buildCommitment({ repo: 'user/self', revision: '1234', endpoint: 'http://8.8.4.4:8001' })],
    ['hk-operator', buildPublicKeyCommitment(operator.publicKeyHex)],
    ['hk-none', null],
    ['hk-garbage', 'hello world'],
    ['hk-foreign', foreignKey],
    ['hk-badid', 'user/x:abc:evil.com#'],
    ['hk-badrepo', 'not a repo:abc:some-id'],
    ['hk-json', '{"hello":"world"}'],
    ['hk-validator', `user/v:abc:${UUID}`],
  ]);
  const result = discoverMiners(snap, { backendPrivateKey: operator.privateKeyHex, excludeHotkeys: ['hk-validator'] });
  t.deepEqual(
    result.miners.map((m) => [m.uid, m.hotkey, m.endpoint, m.commitBlock, m.encrypted, m.selfHosted]),
    [
      [0, 'hk-plain', `https://${UUID}.deployments.basilica.ai`, 42, false, false],
      [1, 'hk-enc', `https://${UUID}.deployments.basilica.ai`, 101, true, false],
      [2, 'hk-self', 'http://8.8.4.4:8001', 102, false, true],
    ],
  );
  t.is(result.miners[1]!.deploymentId, UUID);
  t.is(result.miners[1]!.revision, 'abcdef12');
  const reasons = Object.fromEntries(result.skipped.map((s) => [s.hotkey, s.reason]));
  t.is(reasons['hk-operator'], 'operator public-key commitment');
  t.is(reasons['hk-none'], 'no commitment');
  t.regex(reasons['hk-garbage']!, /malformed/);
  t.regex(reasons['hk-foreign']!, /^undecryptable endpoint: Decryption failed/);
  t.regex(reasons['hk-badid']!, /^unusable endpoint/);
  t.regex(reasons['hk-badrepo']!, /invalid repository/);
  t.regex(reasons['hk-json']!, /JSON commitment/);
  t.is(reasons['hk-validator'], 'operator hotkey');
  t.is(result.block, 500);
});

test('encrypted commitments are skipped (not fatal) without the operator key', (t) => {
  const encrypted = buildCommitment({ repo: 'user/enc', revision: 'abc', encryptedBlob: encryptDeploymentId(UUID, operator.publicKeyHex) });
  const result = discoverMiners(snapshot([['hk', encrypted]]));
  t.deepEqual(result.miners, []);
  t.regex(result.skipped[0]!.reason, /no backend private key/);
});

test('endpoints that are non-public addresses or local names are skipped at discovery with the reason', (t) => {
  const at = (endpoint: string) => `user/self:1234:@${endpoint.replace(/%/g, '%25').replace(/:/g, '%3A')}`;
  const refused = [
    'http://169.254.169.254/latest/meta-data',
    'http://127.0.0.1:8001',
    'http://10.0.0.5:8001',
    'http://192.0.2.10:8001',
    'http://198.51.100.7',
    'http://203.0.113.9',
    'http://192.0.0.170',
    'http://100.64.1.1',
    'http://[::1]:8001',
    'http://[::ffff:169.254.169.254]',
    'http://[::ffff:0:a9fe:a9fe]',
    'http://[::a9fe:a9fe]',
    'http://[64:ff9b::a9fe:a9fe]',
    'http://[2002:a9fe:a9fe::1]',
    'http://[fec0::1]',
    'http://[fd00::1]',
    'http://[fe80::1]',
    'http://2130706433:8001',
    'http://localhost:8001',
    'http://metadata.google.internal',
    'http://metadata',
  ];
  const snap = snapshot([...refused.map((e, i): [string, string] => [`hk-${i}`, at(e)]), ['hk-public', at('https://miner.example.com:8443')]]);
  const result = discoverMiners(snap);
  t.deepEqual(
    result.miners.map((m) => m.hotkey),
    ['hk-public'],
  );
  t.is(result.skipped.length, refused.length);
  for (const s of result.skipped)
    t.regex(s.reason, /^refused endpoint: .*(non-public address|local host name|single-label).*; miner endpoints must be public$/, s.raw ?? '');
  t.regex(result.skipped[0]!.reason, /169\.254\.169\.254 is a non-public address \(linkLocal\)/);
  // The operator's explicit choice, or a predicate naming its own demo miners, lets them through.
  t.is(discoverMiners(snap, { allowPrivateEndpoint: true }).miners.length, refused.length + 1);
  const scoped = discoverMiners(snap, { allowPrivateEndpoint: (hotkey, endpoint) => hotkey === 'hk-1' && endpoint === 'http://127.0.0.1:8001' });
  t.deepEqual(scoped.miners.map((m) => m.hotkey).sort(), ['hk-1', 'hk-public']);
});
