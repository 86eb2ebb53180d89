/**
 * Deployment spot checks end to end on real parts: a Hub stand-in serving the committed code, the
 * template's Python server as the live endpoint (called through the executor's MinerClient, whose
 * answers are recorded as the executor records them), bubblewrap running the committed code, and a
 * real SQLite store. Needs python3 with numpy and bubblewrap (CI installs it, .ci/run).
 */
import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempStore, seedCycle, tempDir } from './helpers/store.ts';
import { startPython, stopChild } from './helpers/python.ts';
import { ROOT } from './helpers/cli.ts';
import { HubStandIn } from './standins/hub.ts';
import { MinerClient } from '../src/executor/miner-client.ts';
import { SpotChecker, DEFAULT_SPOT_CHECK_SETTINGS, chooseMiners } from '../src/verification/spot-check.ts';
import { BubblewrapSandbox } from '../src/verification/sandbox.ts';
import { compareActions } from '../src/verification/compare.ts';
import type { Store } from '../src/store/index.ts';

const TEMPLATE = path.join(ROOT, 'templates', 'python-miner');

function templateFiles(edit: (name: string, text: string) => string = (_n, t) => t): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(TEMPLATE)) {
    if (!name.endsWith('.py') && name !== 'requirements.txt') continue;
    files[name] = edit(name, fs.readFileSync(path.join(TEMPLATE, name), 'utf8'));
  }
  return files;
}

function writeDir(files: Record<string, string>): string {
  const dir = tempDir('kinitro-live-miner-');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Starts a policy server from `dir` (python3 server.py on a free loopback port). */
async function liveEndpoint(dir: string) {
  const started = await startPython(['server.py'], { cwd: dir, env: { PORT: '0', HOST: '127.0.0.1' } });
  const { port } = JSON.parse(started.firstLine) as { port: number };
  return { url: `http://127.0.0.1:${port}`, stop: () => stopChild(started.child) };
}

function observation(i: number): string {
  return JSON.stringify({
    rgb: {},
    depth: {},
    proprio: { ee_pos: [0.1 * i, -0.05 * i, 0.2], ee_quat: [0, 0, 0, 1], ee_vel_lin: [0, 0.01 * i, 0], ee_vel_ang: [0, 0, 0], gripper: [i % 2] },
    cam_intrinsics: {},
    cam_extrinsics: {},
    extra: { episode_id: 'ep-1' },
  });
}

/** Plays the opening of an episode against the live endpoint and keeps it as the executor does. */
async function recordEpisode(store: Store, taskUuid: string, endpoint: string, steps = 5): Promise<void> {
  if (!store.spotChecks.reserveSample(taskUuid)) throw new Error('sample already reserved');
  const client = new MinerClient(endpoint, { actTimeoutMs: 10_000, resetTimeoutMs: 10_000 });
  try {
    const resetConfig = { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' };
    await client.reset(resetConfig);
    const recorded = [];
    for (let i = 0; i < steps; i++) {
      const obs = observation(i);
      recorded.push({ observation: obs, action: await client.act(obs, i) });
    }
    store.spotChecks.keepSample(taskUuid, resetConfig, recorded);
  } finally {
    await client.close();
  }
}

test('compareActions: equal within tolerance agrees; a different gripper or a missing step does not', (t) => {
  const a = [{ eeTwist: [0.1, 0.2, 0.3], gripper: 0.5 }];
  t.true(compareActions(a, [{ eeTwist: [0.1004, 0.2, 0.3, 9, 9, 9], gripper: 0.5 }]).agree, 'angular part ignored; within 1e-3');
  t.false(compareActions(a, [{ eeTwist: [0.1, 0.2, 0.3], gripper: 0.51 }]).agree);
  t.false(compareActions([...a, ...a], a).agree, 'fewer committed answers than recorded steps');
  t.false(compareActions(a, [{ eeTwist: [NaN, 0.2, 0.3], gripper: 0.5 }]).agree);
});

test('chooseMiners picks ceil(fraction * n), at least one, none at fraction 0', (t) => {
  const miners = Array.from({ length: 10 }, (_, i) => i);
  t.is(chooseMiners(miners, 0).length, 0);
  t.is(chooseMiners(miners, 0.01).length, 1);
  t.is(chooseMiners(miners, 0.25).length, 3);
  t.is(new Set(chooseMiners(miners, 1)).size, 10);
});

test('spot check: the committed revision verifies, a different policy is a mismatch, network and writes outside fail in the sandbox', async (t) => {
  t.timeout(240_000);
  const { store, cleanup } = tempStore();
  const hub = await HubStandIn.start();
  const scratch = tempDir('kinitro-spot-');
  // A listener on the host's loopback: the sandboxed code must never reach it.
  let connections = 0;
  const listener = net.createServer((s) => {
    connections += 1;
    s.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const hostPort = (listener.address() as net.AddressInfo).port;
  const escaped = path.join(scratch, 'escaped.txt');

  const honestCommit = hub.seed('alice/policy', templateFiles());
  const netCommit = hub.seed(
    'mallory/net',
    templateFiles((name, text) =>
      name === 'policy.py' ? `import socket\nsocket.create_connection(("127.0.0.1", ${hostPort}), timeout=2).sendall(b"leak")\n${text}` : text,
    ),
  );
  const writeCommit = hub.seed(
    'mallory/write',
    templateFiles((name, text) =>
      name === 'policy.py' ? `open(${JSON.stringify(escaped)}, "w").write("escaped")\nopen("/app/../escaped", "w").write("x")\n${text}` : text,
    ),
  );
  // The live endpoints: the template itself, and the template with a different gripper rule.
  const honest = await liveEndpoint(writeDir(templateFiles()));
  const cheater = await liveEndpoint(
    writeDir(templateFiles((name, text) => (name === 'policy.py' ? text.replace('gripper=float(episode.rng.uniform(0.0, 1.0))', 'gripper=1.0') : text))),
  );
  try {
    const { cycle, uuids } = seedCycle(store, { uids: [1, 2, 3, 4], envIds: ['metaworld/reach-v3'], episodes: 1 });
    store.cycles.saveMiners(cycle.id, [
      { uid: 1, hotkey: 'hk1', endpoint: honest.url, repo: 'alice/policy', revision: honestCommit.slice(0, 8), commitBlock: 1 },
      { uid: 2, hotkey: 'hk2', endpoint: cheater.url, repo: 'alice/policy', revision: honestCommit.slice(0, 8), commitBlock: 2 },
      { uid: 3, hotkey: 'hk3', endpoint: honest.url, repo: 'mallory/net', revision: netCommit.slice(0, 8), commitBlock: 3 },
      { uid: 4, hotkey: 'hk4', endpoint: honest.url, repo: 'mallory/write', revision: writeCommit, commitBlock: 4 },
    ]);
    const taskOf = (uid: number) => uuids.find((u) => store.tasks.get(u)!.minerUid === uid)!;
    for (const [uid, ep] of [
      [1, honest],
      [2, cheater],
      [3, honest],
      [4, honest],
    ] as const)
      await recordEpisode(store, taskOf(uid), ep.url);

    const checker = new SpotChecker(
      store,
      { ...DEFAULT_SPOT_CHECK_SETTINGS, fraction: 1, consequence: 'zero-weight', cacheDir: path.join(scratch, 'cache'), hub: { hubUrl: hub.url } },
      new BubblewrapSandbox({ limits: { wallMs: 90_000 } }),
    );
    t.is(await new BubblewrapSandbox().probe(), null, 'bubblewrap works here (install it: apt-get install bubblewrap)');
    // The hostile miners first: the honest one checked after them shows the checker is unharmed.
    const miners = store.cycles.miners(cycle.id);
    const order = [3, 4, 2, 1].map((uid) => miners.find((m) => m.uid === uid)!);
    const outcomes = new Map((await checker.checkCycle(cycle.id, order)).map((o) => [o.minerUid, o]));

    t.is(outcomes.get(1)?.outcome, 'verified', outcomes.get(1)?.reason ?? '');
    t.is(outcomes.get(1)?.resolvedRevision, honestCommit, 'the short revision resolved to the full commit');
    t.is(outcomes.get(1)?.stepsCompared, 5);
    t.is(outcomes.get(2)?.outcome, 'mismatch');
    t.regex(outcomes.get(2)?.reason ?? '', /differs from the committed code's at step 0/);
    t.is(outcomes.get(3)?.outcome, 'mismatch');
    t.regex(outcomes.get(3)?.reason ?? '', /the committed code failed before answering \/reset/);
    t.regex(outcomes.get(4)?.reason ?? '', /the committed code failed before answering \/reset/);
    t.is(outcomes.get(4)?.outcome, 'mismatch');
    t.is(connections, 0, 'the sandboxed code never reached the host');
    t.false(fs.existsSync(escaped), 'nothing written outside the sandbox');
    t.false(fs.existsSync(path.join(scratch, 'cache', 'mallory--write', 'escaped')));
    t.deepEqual([...checker.penalized(cycle.id)].sort(), [2, 3, 4], 'zero-weight consequence names the mismatched miners');
    t.true(store.ping(), 'the store is unharmed');
  } finally {
    await Promise.all([honest.stop(), cheater.stop(), hub.close()]);
    listener.close();
    cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test('spot check: unverifiable with the reason when no sandbox exists; a revision that is not on the Hub is a mismatch', async (t) => {
  t.timeout(60_000);
  const { store, cleanup } = tempStore();
  const hub = await HubStandIn.start();
  const scratch = tempDir('kinitro-spot-');
  try {
    const { cycle, uuids } = seedCycle(store, { uids: [1, 2], envIds: ['metaworld/reach-v3'], episodes: 1 });
    const commit = hub.seed('alice/policy', templateFiles());
    store.cycles.saveMiners(cycle.id, [
      { uid: 1, hotkey: 'hk1', endpoint: 'http://127.0.0.1:9', repo: 'alice/policy', revision: commit.slice(0, 8), commitBlock: 1 },
      { uid: 2, hotkey: 'hk2', endpoint: 'http://127.0.0.1:9', repo: 'alice/policy', revision: 'deadbeef', commitBlock: 2 },
    ]);
    for (const u of uuids) {
      t.true(store.spotChecks.reserveSample(u));
      store.spotChecks.keepSample(u, { env_id: 'metaworld/reach-v3' }, [{ observation: observation(0), action: { eeTwist: [0, 0, 0], gripper: 0 } }]);
    }
    const settings = { ...DEFAULT_SPOT_CHECK_SETTINGS, fraction: 1, cacheDir: path.join(scratch, 'cache'), hub: { hubUrl: hub.url } };
    const none = new SpotChecker(store, settings, new BubblewrapSandbox({ bwrap: path.join(scratch, 'no-such-bwrap') }));
    const [first] = await none.checkCycle(
      cycle.id,
      store.cycles.miners(cycle.id).filter((m) => m.uid === 1),
    );
    t.is(first?.outcome, 'unverifiable');
    t.regex(first?.reason ?? '', /bubblewrap .* is not installed/);
    t.is(hub.requests.length, 0, 'nothing fetched without a sandbox');

    const real = new SpotChecker(store, settings);
    const outcomes = await real.checkCycle(
      cycle.id,
      store.cycles.miners(cycle.id).filter((m) => m.uid === 2),
    );
    t.is(outcomes.find((o) => o.minerUid === 2)?.outcome, 'mismatch');
    t.regex(outcomes.find((o) => o.minerUid === 2)?.reason ?? '', /no commit of alice\/policy .* starts with deadbeef/);
    t.deepEqual(real.penalized(cycle.id), new Set(), 'log-only consequence by default');
  } finally {
    await hub.close();
    cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
