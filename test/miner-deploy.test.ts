/**
 * The miner's real-world flow against local stand-ins of the Hugging Face Hub and Basilica:
 * `kinitro init-miner` → `kinitro miner upload` → `kinitro miner deploy` → `kinitro commit` →
 * `kinitro miners`, each a real CLI process; the "container" the Basilica stand-in starts downloads
 * the uploaded revision from the Hub stand-in and runs its `python3 server.py`. Then the deployment is
 * spot-checked against the committed revision (bubblewrap). Tokens travel by 0600 files only.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/store.ts';
import { startPython, stopChild } from './helpers/python.ts';
import { HubStandIn } from './standins/hub.ts';
import { BasilicaStandIn, type LaunchSpec } from './standins/basilica.ts';
import { Store } from '../src/store/index.ts';
import { MinerClient } from '../src/executor/miner-client.ts';
import { SpotChecker, DEFAULT_SPOT_CHECK_SETTINGS } from '../src/verification/spot-check.ts';
import { deploymentIdFromUrl, deploymentName } from '../src/deploy/basilica.ts';
import { devInstance } from '../src/sim/instance.ts';

const HF_TOKEN = 'hf_standin_write_token_0123456789';
const BASILICA_TOKEN = 'basilica_standin_token_9876543210';

function secretFile(dir: string, name: string, value: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
}

test('deploy helpers: deployment names and ids as the original derives them', (t) => {
  t.is(deploymentName('Alice/My_Policy.v2'), 'alice-my-policy-v2');
  t.is(deploymentName(`a/${'x'.repeat(80)}`).length, 63);
  t.is(deploymentIdFromUrl('https://95edf2b6-e18b-400a-8398-5573df10e5e4.deployments.basilica.ai'), '95edf2b6-e18b-400a-8398-5573df10e5e4');
  t.is(deploymentIdFromUrl('http://127.0.0.1:8000'), null);
});

test('kinitro miner upload + deploy + commit end to end against Hub and Basilica stand-ins; the deployment verifies', async (t) => {
  t.timeout(400_000);
  const dir = tempDir('kinitro-deploy-');
  const hub = await HubStandIn.start();
  hub.tokens.set(HF_TOKEN, 'alice');
  const containers: ChildProcess[] = [];
  // The container: what Basilica's bootstrap does (download HF_REPO@HF_REVISION, run server.py), with
  // plain HTTP against the Hub stand-in's documented routes.
  const launch = async (spec: LaunchSpec): Promise<string> => {
    const { HF_REPO: repo, HF_REVISION: rev } = spec.env;
    const app = path.join(dir, `container-${containers.length}`);
    fs.mkdirSync(app);
    const tree = (await (await fetch(`${hub.url}/api/models/${repo}/tree/${rev}?recursive=true`)).json()) as { type: string; path: string }[];
    for (const f of tree.filter((e) => e.type === 'file')) {
      fs.mkdirSync(path.dirname(path.join(app, f.path)), { recursive: true });
      fs.writeFileSync(path.join(app, f.path), Buffer.from(await (await fetch(`${hub.url}/${repo}/resolve/${rev}/${f.path}`)).arrayBuffer()));
    }
    const started = await startPython(['server.py'], { cwd: app, env: { PORT: '0', HOST: '127.0.0.1' } });
    containers.push(started.child);
    return `http://127.0.0.1:${(JSON.parse(started.firstLine) as { port: number }).port}`;
  };
  const basilica = await BasilicaStandIn.start(BASILICA_TOKEN, launch);
  const env = {
    HF_TOKEN_FILE: secretFile(dir, 'hf-token', HF_TOKEN),
    BASILICA_API_TOKEN_FILE: secretFile(dir, 'basilica-token', BASILICA_TOKEN),
    KINITRO_HOTKEY_URI: '//Bob',
  };
  const db = path.join(dir, 'kinitro.sqlite');
  const outputs: string[] = [];
  const cli = async (args: string[]) => {
    const r = await runCli(args, { env, timeoutMs: 120_000 });
    outputs.push(r.stdout, r.stderr);
    t.is(r.code, 0, `kinitro ${args.join(' ')}\n${r.stderr}`);
    return r;
  };
  try {
    const project = path.join(dir, 'my-miner');
    await cli(['init-miner', project]);
    fs.writeFileSync(path.join(project, '.env'), 'SECRET=1\n');

    const upload = JSON.parse((await cli(['miner', 'upload', '--repo', 'alice/policy', '--path', project, '--hub-url', hub.url, '--json'])).stdout) as {
      repo: string;
      revision: string;
      files: string[];
    };
    t.regex(upload.revision, /^[0-9a-f]{40}$/);
    t.true(upload.files.includes('server.py') && upload.files.includes('policy.py'));
    t.false(upload.files.includes('.env'), 'dotfiles and secrets are not uploaded');
    t.deepEqual([...hub.repos.get('alice/policy')!.commits[0]!.files.keys()].filter((f) => f !== '.gitattributes').sort(), [...upload.files].sort());
    t.is(hub.repos.get('alice/policy')!.commits[0]!.id, upload.revision);

    const plain = await cli(['miner', 'upload', '--repo', 'alice/policy', '--path', project, '--hub-url', hub.url]);
    t.regex(plain.stdout, /^repo: alice\/policy\nrevision: [0-9a-f]{40}\n$/, 'a second upload reuses the repo and prints repo and revision');
    const revision = /revision: ([0-9a-f]{40})/.exec(plain.stdout)![1]!;

    const deployed = JSON.parse(
      (
        await cli([
          'miner',
          'deploy',
          '--repo',
          'alice/policy',
          '--revision',
          revision,
          '--basilica-url',
          basilica.url,
          '--poll-ms',
          '20',
          '--timeout',
          '120',
          '--json',
        ])
      ).stdout,
    ) as { name: string; url: string; deployment_id: string | null };
    t.is(deployed.name, 'alice-policy');
    t.regex(deployed.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.is(deployed.deployment_id, null, 'a loopback URL has no Basilica deployment id: commit the URL');
    const request = basilica.created[0] as { env: Record<string, string>; port: number; image: string; resources: { cpu: string; memory: string } };
    t.deepEqual(request.env, { HF_REPO: 'alice/policy', HF_REVISION: revision }, 'no token forwarded unless asked');
    t.is(request.port, 8000);
    t.deepEqual(request.resources, { cpu: '1', memory: '512Mi' });
    t.is(((await (await fetch(`${deployed.url}/health`)).json()) as { status: string }).status, 'healthy');

    const committed = JSON.parse(
      (
        await cli([
          'commit',
          '--chain',
          'local',
          '--db',
          db,
          '--netuid',
          '1',
          '--repo',
          'alice/policy',
          '--revision',
          revision,
          '--endpoint',
          deployed.url,
          '--allow-private-endpoints',
          '--json',
        ])
      ).stdout,
    ) as { commitment: string; registered_uid: number; hotkey: string };
    t.true(committed.commitment.startsWith(`alice/policy:${revision.slice(0, 8)}:`));

    const listed = JSON.parse((await cli(['miners', '--chain', 'local', '--db', db, '--netuid', '1', '--allow-private-endpoints', '--json'])).stdout) as {
      miners: { uid: number; hotkey: string; repo: string; revision: string; endpoint: string; spot_check: unknown }[];
    };
    const miner = listed.miners.find((m) => m.hotkey === committed.hotkey)!;
    t.like(miner, { repo: 'alice/policy', revision: revision.slice(0, 8), endpoint: deployed.url, spot_check: null });

    // The deployment serves the committed revision: record an episode opening from it, spot-check it.
    const store = Store.open(db);
    try {
      const cycle = store.cycles.start({ blockNumber: 10, blockHash: '0x1', envIds: ['metaworld/reach-v3'], episodesPerEnv: 1 });
      const [task] = store.tasks.enqueue(cycle.id, [
        {
          minerUid: miner.uid,
          minerHotkey: miner.hotkey,
          minerEndpoint: deployed.url,
          minerRepo: miner.repo,
          minerRevision: miner.revision,
          envId: 'metaworld/reach-v3',
          seed: 1,
          instance: devInstance(1, 0),
          episodeIndex: 0,
        },
      ]);
      store.cycles.saveMiners(cycle.id, [
        { uid: miner.uid, hotkey: miner.hotkey, endpoint: deployed.url, repo: miner.repo, revision: miner.revision, commitBlock: 1 },
      ]);
      t.true(store.spotChecks.reserveSample(task!));
      const client = new MinerClient(deployed.url, { actTimeoutMs: 10_000, resetTimeoutMs: 10_000 });
      const resetConfig = { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' };
      await client.reset(resetConfig);
      const steps = [];
      for (let i = 0; i < 4; i++) {
        const observation = JSON.stringify({
          rgb: {},
          depth: {},
          proprio: { ee_pos: [i, 0, 0], ee_quat: [0, 0, 0, 1], ee_vel_lin: [0, 0, 0], ee_vel_ang: [0, 0, 0], gripper: [0] },
          cam_intrinsics: {},
          cam_extrinsics: {},
          extra: {},
        });
        steps.push({ observation, action: await client.act(observation, i) });
      }
      await client.close();
      store.spotChecks.keepSample(task!, resetConfig, steps);
      const checker = new SpotChecker(store, { ...DEFAULT_SPOT_CHECK_SETTINGS, fraction: 1, cacheDir: path.join(dir, 'cache'), hub: { hubUrl: hub.url } });
      const [outcome] = await checker.checkCycle(cycle.id);
      t.is(outcome?.outcome, 'verified', outcome?.reason ?? '');
    } finally {
      store.close();
    }
    const text = await cli(['miners', '--chain', 'local', '--db', db, '--netuid', '1', '--allow-private-endpoints']);
    t.regex(text.stdout, /SPOT CHECK/);
    t.regex(text.stdout, new RegExp(`alice/policy@${revision.slice(0, 8)} +verified `));

    for (const o of outputs) {
      t.false(o.includes(HF_TOKEN), 'the Hugging Face token is never printed');
      t.false(o.includes(BASILICA_TOKEN), 'the Basilica token is never printed');
    }
    t.true(hub.requests.some((r) => r.path === '/api/models/alice/policy/commit/main' && r.authorized));
  } finally {
    await Promise.all(containers.map((c) => stopChild(c)));
    await Promise.all([hub.close(), basilica.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('kinitro miner deploy refuses without a token and reports Basilica errors; upload refuses a bad token', async (t) => {
  t.timeout(240_000);
  const dir = tempDir('kinitro-deploy-');
  const hub = await HubStandIn.start();
  const basilica = await BasilicaStandIn.start(BASILICA_TOKEN, () => Promise.reject(new Error('image pull failed')));
  try {
    const rev = 'a'.repeat(40);
    const none = await runCli(['miner', 'deploy', '--repo', 'alice/policy', '--revision', rev, '--basilica-url', basilica.url], {
      env: { BASILICA_API_TOKEN: '' },
    });
    t.not(none.code, 0);
    t.regex(none.stderr, /BASILICA_API_TOKEN/);
    const wrong = await runCli(['miner', 'deploy', '--repo', 'alice/policy', '--revision', rev, '--basilica-url', basilica.url], {
      env: { BASILICA_API_TOKEN_FILE: secretFile(dir, 'bad', 'nope') },
    });
    t.not(wrong.code, 0);
    t.regex(wrong.stderr, /HTTP 401: BASILICA_API_AUTH_INVALID/);
    const failed = await runCli(['miner', 'deploy', '--repo', 'alice/policy', '--revision', rev, '--basilica-url', basilica.url, '--poll-ms', '20'], {
      env: { BASILICA_API_TOKEN_FILE: secretFile(dir, 'good', BASILICA_TOKEN) },
    });
    t.not(failed.code, 0);
    t.regex(failed.stderr, /deployment alice-policy failed: image pull failed/);
    const short = await runCli(['miner', 'deploy', '--repo', 'alice/policy', '--revision', 'abc12345', '--basilica-url', basilica.url], {
      env: { BASILICA_API_TOKEN_FILE: path.join(dir, 'good') },
    });
    t.regex(short.stderr, /full 40-hex commit id/);

    fs.mkdirSync(path.join(dir, 'proj'));
    fs.writeFileSync(path.join(dir, 'proj', 'server.py'), 'print(1)\n');
    const up = await runCli(['miner', 'upload', '--repo', 'alice/policy', '--path', path.join(dir, 'proj'), '--hub-url', hub.url], {
      env: { HF_TOKEN_FILE: secretFile(dir, 'hf', 'hf_wrong') },
    });
    t.not(up.code, 0);
    t.regex(up.stderr, /token was refused/);
    t.false(up.stderr.includes('hf_wrong'));
  } finally {
    await Promise.all([hub.close(), basilica.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
