/**
 * End to end in a real terminal: `kinitro tui --api-url` against a real API over a temporary store,
 * running under tmux at 100×30 and 160×48; we read the screen with `capture-pane` and quit with `q`.
 * Skipped where tmux is not installed (the in-memory terminal tests cover the same views).
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestApi, type TestApi } from './helpers/api.ts';
import { seedCycle, tempDir, waitFor } from './helpers/store.ts';
import { BIN, ROOT } from './helpers/cli.ts';
import { computeWeights } from '../src/scoring/compute.ts';
import { ENV_IDS } from '../src/sim/registry.ts';

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const maybe = hasTmux() ? test.serial : test.skip;
const SOCKET = `kinitro-tui-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: 'pipe' });

test.after.always(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server was started
  }
});

/** One completed cycle with real scoring output, and a second one running with some failures. */
function seed(a: TestApi) {
  const s = a.store;
  const envIds = [...ENV_IDS];
  const uids = [3, 7, 12];
  const first = seedCycle(s, { uids, envIds, episodes: 2, block: 500 }).cycle;
  const done = s.tasks.fetch({ executorId: 'ex', batchSize: 100, envIds: null }).tasks;
  s.tasks.submit(
    'ex',
    done.map((x, i) => ({
      taskUuid: x.taskUuid,
      success: i % 3 !== 0,
      score: 1,
      total_reward: 2,
      timesteps: 50,
      error: i % 3 === 0 ? `timeout at step ${i}` : null,
    })),
  );
  const miners = uids.map((uid, k) => ({ uid, firstBlock: 400 + k, scores: Object.fromEntries(envIds.map((e, j) => [e, ((uid * 7 + j * 13) % 11) / 10])) }));
  const res = computeWeights({ environments: envIds, episodesPerEnv: 2, miners });
  s.transaction(() => {
    s.results.save(first.id, {
      scores: miners.flatMap((m) =>
        envIds.map((envId) => ({
          uid: m.uid,
          hotkey: `5Hk${m.uid}`,
          envId,
          successRate: m.scores[envId]!,
          meanReward: 1,
          episodesCompleted: 2,
          episodesFailed: 0,
        })),
      ),
      weights: Object.fromEntries(Object.entries(res.weights)),
      weightsU16: res.weightsU16,
      blockNumber: 510,
      points: Object.fromEntries(Object.entries(res.points)),
      explanation: res.explanation,
    });
    s.cycles.setMinerCount(first.id, uids.length);
    s.cycles.complete(first.id);
  });
  seedCycle(s, { uids, envIds, episodes: 2, block: 600 });
  const some = s.tasks.fetch({ executorId: 'ex2', batchSize: 10, envIds: null }).tasks;
  s.tasks.submit(
    'ex2',
    some
      .slice(0, 6)
      .map((x, i) => ({ taskUuid: x.taskUuid, success: i % 2 === 0, score: 1, total_reward: 2, timesteps: 50, error: i % 2 ? 'miner returned 500' : null })),
  );
}

async function runInTmux(t: ExecutionContext, cols: number, rows: number) {
  t.timeout(180_000); // a cold CLI start under tmux on a loaded CI box; a passing run returns at once
  const api = await startTestApi();
  const dir = tempDir('kinitro-tui-tmux-');
  const exitFile = path.join(dir, 'exit-code');
  const session = `tui-${cols}x${rows}`;
  try {
    seed(api);
    const command = `cd ${JSON.stringify(ROOT)} && ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} tui --api-url ${api.url} --refresh-ms 500; echo $? > ${JSON.stringify(exitFile)}`;
    // remain-on-exit keeps the pane (and the server) after the command ends, so we can look at the
    // terminal it leaves behind.
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      String(cols),
      '-y',
      String(rows),
      '-e',
      'LANG=C.UTF-8',
      command,
      ';',
      'set-option',
      '-t',
      session,
      'remain-on-exit',
      'on',
    );
    const capture = () => tmux('capture-pane', '-p', '-t', session);
    const screen = await waitFor(
      () => {
        const text = capture();
        return text.includes('─ scores · cycle #1') && text.includes('chain #') === false && /│ +3 5Hk3/.test(text) && text.includes('updated') ? text : null;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the dashboard' },
    ).catch((err: Error) => {
      t.log(capture());
      throw err;
    });
    t.log(`\n${screen}`);
    const lines = screen.split('\n');
    t.true(lines.every((l) => [...l].length <= cols));
    t.regex(lines[0]!, /^kinitro │ chain n\/a │ validator n\/a/, 'no appliance extension on a bare API: n/a');
    t.regex(screen, /┌─ cycle ─+┐/, 'unicode borders, no ACS letters');
    t.regex(screen, /cycle #2 running · block 600/);
    t.regex(screen, /6\/48 12%/);
    t.regex(screen, /uid hotkey +reach +push +(pck-plc|pick-place) /);
    t.regex(screen, /│ {2}3 5Hk3 +100% +10% +30% +50% +70% +90% +0% +20%/);
    t.regex(screen, /─ weights ─/);
    t.regex(screen, /computed cycle #1 · block 510/);
    t.regex(screen, /#1 ✓ completed/);

    // A miner's details, then back.
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(() => capture().includes('miner uid 3'), { timeoutMs: 30_000, what: 'miner details' });
    t.regex(capture(), /won \d+ of 255 subsets/);
    tmux('send-keys', '-t', session, 'q');
    await waitFor(() => !capture().includes('miner uid 3'), { timeoutMs: 30_000, what: 'details closed' });

    tmux('send-keys', '-t', session, 'q');
    const code = await waitFor(() => (fs.existsSync(exitFile) ? fs.readFileSync(exitFile, 'utf8').trim() : null), { timeoutMs: 30_000, what: 'exit' });
    t.is(code, '0');
    t.false(/[┌│└]/.test(capture()), 'the terminal is back to normal after quitting');
  } finally {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // already gone
    }
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

maybe('kinitro tui --api-url under tmux at 100×30', (t) => runInTmux(t, 100, 30));
maybe('kinitro tui --api-url under tmux at 160×48', (t) => runInTmux(t, 160, 48));
