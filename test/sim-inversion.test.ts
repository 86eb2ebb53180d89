/**
 * The seed-inversion attack against validator instances: no integer seed of the public generator path
 * reproduces a validator's instance (its config, hence its first observation), and the generator has
 * no integer input at all. Why no scan of any size can succeed, and a longer scan with its rate:
 * `npm run bench -- inversion` (docs/simulation.md, "Threat model").
 */
import test from 'ava';
import { cycleInstance, devInstance } from '../src/sim/instance.ts';
import { observableConfig, scanDevSeeds } from '../src/sim/inversion.ts';
import { generateTask } from '../src/sim/tasks.ts';

const validatorInstance = (hotkey = 'miner-hotkey') =>
  cycleInstance({
    secret: 'a 256-bit operator secret lives here',
    blockHash: '0x' + '12'.repeat(32),
    envId: 'metaworld/reach-v3',
    episodeIndex: 0,
    minerHotkey: hotkey,
    randomization: 'cued',
  });

test('the generator takes an instance key, never an integer seed', (t) => {
  t.throws(() => generateTask('metaworld/reach-v3', 12345 as unknown as string));
  t.throws(() => generateTask('metaworld/reach-v3', '12345'));
  t.throws(() => generateTask('metaworld/reach-v3', 'cued:' + 'ab'.repeat(16)), undefined, '128 bits is not enough: keys are 2 × 256 bits');
});

test('the scan finds a development instance it is given (the attack works where it should)', (t) => {
  const target = generateTask('metaworld/reach-v3', devInstance(4242, 0));
  t.deepEqual(scanDevSeeds('metaworld/reach-v3', target, 4000, 4500).matches, [4242]);
});

test('no development seed reproduces a validator instance (a 2^12 × 2 sample; the bench scans more)', (t) => {
  const target = generateTask('metaworld/reach-v3', validatorInstance());
  for (let episode = 0; episode < 2; episode++) {
    const result = scanDevSeeds('metaworld/reach-v3', target, 0, 2 ** 12, episode);
    t.deepEqual(result.matches, [], `episode index ${episode}`);
  }
});

test('miners of one cycle share the scene but not the answer', (t) => {
  const a = generateTask('metaworld/reach-v3', validatorInstance('alice'));
  const b = generateTask('metaworld/reach-v3', validatorInstance('bob'));
  t.not(observableConfig(a), observableConfig(b), 'variants differ');
  t.deepEqual((a as { layout: unknown }).layout, (b as { layout: unknown }).layout, 'layouts are shared');
});
