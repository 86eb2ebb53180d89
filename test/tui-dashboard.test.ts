/**
 * The blessed dashboard rendered into an in-memory terminal (PassThrough streams of fixed size):
 * what the screen shows, keys, resize, polling discipline and terminal restore.
 */
import test from 'ava';
import { PassThrough } from 'node:stream';
import { startDashboard, type Dashboard, type DashboardOptions } from '../src/tui/dashboard.ts';
import { FakeDashboardSource, emptySnapshot, sampleSnapshot } from '../src/tui/fake-source.ts';
import { waitFor } from './helpers/store.ts';

const KEYS = { enter: '\r', down: '\x1b[B', up: '\x1b[A', tab: '\t', shiftTab: '\x1b[Z', escape: '\x1b' };

interface Term {
  dashboard: Dashboard;
  input: PassThrough;
  output: PassThrough & { columns: number; rows: number; isTTY: boolean };
  written: () => string;
  text: () => string;
  source: FakeDashboardSource;
  quits: () => number;
}

function open(cols: number, rows: number, options: Partial<DashboardOptions> & { source?: FakeDashboardSource } = {}): Term {
  const output = Object.assign(new PassThrough(), { columns: cols, rows, isTTY: true });
  let raw = '';
  output.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  const input = new PassThrough();
  const source = options.source ?? new FakeDashboardSource(sampleSnapshot(Date.now()));
  let quits = 0;
  const dashboard = startDashboard({
    source,
    onQuit: () => {
      quits++;
    },
    input,
    output,
    terminal: 'xterm-256color',
    handleProcessEvents: false,
    refreshMs: 60_000,
    ...options,
  });
  return { dashboard, input, output, source, written: () => raw, text: () => dashboard.screenText().join('\n'), quits: () => quits };
}

const until = (what: string, fn: () => boolean) => waitFor(fn, { timeoutMs: 30_000, what });

test('100×30: header, cycle progress, env table, weights, history and log are all on screen', async (t) => {
  const term = open(100, 30);
  try {
    await term.dashboard.refresh();
    term.dashboard.appendLog(JSON.stringify({ level: 30, time: Date.now(), component: 'cron', msg: 'cycle started', cycle: 12 }));
    term.dashboard.appendLog(JSON.stringify({ level: 50, time: Date.now(), component: 'executor', msg: 'episode failed', uid: 7 }));
    await until('log lines', () => term.text().includes('episode failed uid=7'));
    const lines = term.dashboard.screenText();
    t.is(lines.length, 30);
    t.true(lines.every((l) => [...l].length <= 100));
    const text = lines.join('\n');
    t.regex(lines[0]!, /^kinitro 0\.1\.0 │ chain local netuid 2 block #1234 │ validator on 5F3sa…EYjQX set #1230 ok 2m ago/);
    t.regex(lines[1]!, /executors 2 workers, 16 episodes, 1 remote │ 1\.2k steps\/s/);
    t.regex(text, /┌─ cycle ─+┐/);
    t.regex(text, /│cycle #12 running · block 1120 · 4 miners × 8 envs × 2 ep\/env .* elapsed 1m2\ds · ETA ~\S+/);
    t.regex(text, /│█+░+ 26\/64 40% +│/);
    t.regex(text, /✓ 20 ok · ✗ 6 failed · ▶ 8 assigned · 30 pending/);
    t.regex(text, /─ scores · cycle #11 · block 1110 ─/);
    t.regex(text, /│uid hotkey +reach +push pck-plc dr-open drw-opn drw-cls btt-prs pg-insr points weight +│/);
    t.regex(text, /│ {2}3 5Hotke…x+ +100% +10% +30% +50% +70% +90% +0% +20% +40 +70\.0% +│/);
    t.regex(text, /─ weights ─/);
    t.regex(text, /│chain #1230 ok 2m ago · 4 uids/);
    t.regex(text, /│ {2}3 █+ +70\.0% 45875│/);
    t.regex(text, /─ cycles ─/);
    t.regex(text, /│#10 ✗ failed/);
    t.regex(text, /─ log ─/);
    t.regex(text, /INF cron +cycle started cycle=12/);
    t.regex(lines[29]!, /^ q quit · tab panel · ↑↓ scroll · enter miner details +│ updated \ds ago/);
    t.false(/[lqkjmx]{3}/.test(lines[2]!.slice(0, 3)), 'borders are box-drawing characters, not raw ACS letters');
  } finally {
    term.dashboard.stop();
  }
});

test('160×48: wide layout puts the weights beside the table', async (t) => {
  const term = open(160, 48);
  try {
    await term.dashboard.refresh();
    const lines = term.dashboard.screenText();
    const tableTop = lines.findIndex((l) => l.includes('─ scores'));
    t.true(tableTop > 0);
    t.regex(lines[tableTop]!, /─ scores · cycle #11 · block 1110 ─+┐┌─ weights ─+┐$/);
    t.regex(lines[tableTop + 1]!, /│uid hotkey/);
    t.true(lines.some((l) => /┌─ cycles ─+┐┌─ log ─+┐/.test(l)));
    t.is(lines.length, 48);
  } finally {
    term.dashboard.stop();
  }
});

test('enter on a miner opens its details; esc closes; tab moves the keys to another panel', async (t) => {
  const term = open(120, 40);
  try {
    await term.dashboard.refresh();
    term.input.write(KEYS.down);
    term.input.write(KEYS.enter);
    await until('details of uid 7', () => term.text().includes('miner uid 7'));
    t.regex(term.text(), /─ miner 7 ─/);
    t.regex(term.text(), /per environment/);
    t.regex(term.text(), /recent errors \(1\)/);
    t.regex(term.text(), /#12 push ep 1: Miner action timeout at step 4/);
    t.regex(term.dashboard.screenText().at(-1)!, /esc close/);
    term.input.write(KEYS.escape);
    await until('details closed', () => !term.text().includes('miner uid 7'));

    term.input.write(KEYS.tab); // focus: weights — enter does nothing there
    term.input.write(KEYS.enter);
    term.input.write(KEYS.shiftTab); // back to the table, still on uid 7
    await until('focus back on the table', () => term.text().includes('enter miner details'));
    t.false(term.text().includes('miner uid'));
    term.input.write(KEYS.enter);
    await until('details of uid 7 again', () => term.text().includes('miner uid 7'));
    term.input.write('q'); // q closes the details first; it does not quit
    await until('details closed by q', () => !term.text().includes('miner uid 7'));
    t.is(term.quits(), 0);
  } finally {
    term.dashboard.stop();
  }
});

test('q quits: onQuit is called once and the terminal is restored', async (t) => {
  const term = open(100, 30);
  await term.dashboard.refresh();
  term.input.write('q');
  t.is(await term.dashboard.stopped, 'quit');
  t.is(term.quits(), 1);
  t.true(term.written().includes('\x1b[?1049l'), 'left the alternate screen');
  t.true(term.written().includes('\x1b[?25h'), 'cursor shown again');
  term.input.write('q');
  term.dashboard.stop();
  t.is(term.quits(), 1, 'stopping again does nothing');
});

test('resizes cleanly: the layout follows the new size', async (t) => {
  const term = open(160, 48);
  try {
    await term.dashboard.refresh();
    t.true(term.dashboard.screenText().some((l) => /┐┌─ weights/.test(l)));
    Object.assign(term.output, { columns: 100, rows: 30 });
    term.output.emit('resize');
    await until('narrow layout', () => term.dashboard.screenText().length === 30 && term.dashboard.screenText().some((l) => /^┌─ weights ─+┐┌─ log/.test(l)));
    const lines = term.dashboard.screenText();
    t.true(lines.every((l) => [...l].length <= 100));
    t.regex(lines.join('\n'), /│uid hotkey +reach +push/);
  } finally {
    term.dashboard.stop();
  }
});

test('polls never overlap, even when the source is slower than the refresh interval', async (t) => {
  const source = new FakeDashboardSource(sampleSnapshot(Date.now()));
  source.hold();
  const term = open(100, 30, { source, refreshMs: 100 });
  try {
    const pending = [term.dashboard.refresh(), term.dashboard.refresh(), term.dashboard.refresh()];
    await until('a held snapshot', () => source.inFlight === 1);
    t.is(source.calls, 1, 'refreshes while a snapshot is in flight join it');
    source.release();
    await Promise.all(pending);
    await until('several polls', () => source.calls >= 4);
    t.is(source.maxInFlight, 1);
    t.regex(term.text(), /cycle #12 running/);
  } finally {
    term.dashboard.stop();
    source.release();
  }
  const calls = source.calls;
  await new Promise((r) => setTimeout(r, 250)); // a stopped dashboard must not poll again
  t.is(source.calls, calls);
});

test('a failing source keeps the last data on screen, says so, and recovers', async (t) => {
  const source = new FakeDashboardSource(sampleSnapshot(Date.now()));
  const term = open(100, 30, { source });
  try {
    await term.dashboard.refresh();
    source.fail('/v1/status: ECONNREFUSED');
    await term.dashboard.refresh();
    t.regex(term.dashboard.screenText().at(-1)!, /\/v1\/status: ECONNREFUSED \(showing data from \d+s ago\)/);
    t.regex(term.text(), /cycle #12 running/, 'last good snapshot still shown');
    t.regex(term.text(), /WRN tui +snapshot failed: \/v1\/status:/);
    source.set(emptySnapshot({ origin: 'http://x' }));
    await term.dashboard.refresh();
    t.regex(term.dashboard.screenText().at(-1)!, /updated \ds ago/);
    t.regex(term.text(), /INF tui +connected again/);
    t.regex(term.text(), /no completed cycle yet/);
  } finally {
    term.dashboard.stop();
  }
});

test('a flood of log lines is bounded by the scrollback and does not stall', async (t) => {
  const term = open(100, 30, { logScrollback: 200 });
  try {
    await term.dashboard.refresh();
    let writes = 0;
    term.output.on('data', () => writes++);
    const started = performance.now();
    for (let i = 0; i < 5000; i++) term.dashboard.appendLog(`${JSON.stringify({ level: 30, time: Date.now(), component: 'api', msg: 'request', n: i })}\n`);
    const appendMs = performance.now() - started;
    t.true(appendMs < 10_000, `5000 appends took ${appendMs.toFixed(0)} ms`);
    t.is(writes, 0, 'appending never draws synchronously');
    await until('the newest line', () => term.text().includes('n=4999'));
    t.true(writes <= 3, `one throttled redraw for the whole flood (${writes} writes)`);
    t.false(term.text().includes('n=4799 '), 'older lines scrolled out of the pane');
  } finally {
    term.dashboard.stop();
  }
});

test('process hooks are installed while running and removed on stop', async (t) => {
  const before = { term: process.listenerCount('SIGTERM'), crash: process.listenerCount('uncaughtExceptionMonitor') };
  const term = open(100, 30, { handleProcessEvents: true });
  await term.dashboard.refresh();
  t.true(process.listenerCount('SIGTERM') > before.term);
  t.is(process.listenerCount('uncaughtExceptionMonitor'), before.crash + 1);
  (process.emit as (event: string, ...args: unknown[]) => boolean)('uncaughtExceptionMonitor', new Error('boom'), 'uncaughtException');
  t.is(await term.dashboard.stopped, 'crash');
  t.true(term.written().includes('\x1b[?1049l'), 'terminal restored before the crash is reported');
  t.is(process.listenerCount('SIGTERM'), before.term);
  t.is(process.listenerCount('uncaughtExceptionMonitor'), before.crash);
});

test('ASCII drawing when the terminal has no unicode', async (t) => {
  const term = open(100, 30, { unicode: false });
  try {
    await term.dashboard.refresh();
    t.regex(term.text(), /#+\.+ 26\/64 40%/);
    t.false(/[█░]/.test(term.text()));
  } finally {
    term.dashboard.stop();
  }
});

test('scrolling the log up pauses following; new lines do not yank the view; the end resumes it', async (t) => {
  const term = open(100, 30, { logScrollback: 1000 });
  try {
    await term.dashboard.refresh();
    for (let i = 0; i < 600; i++) term.dashboard.appendLog(JSON.stringify({ level: 30, time: Date.now(), msg: `line-${i}-end` }));
    await until('the tail', () => term.text().includes('line-599-end'));
    for (let i = 0; i < 3; i++) term.input.write(KEYS.tab); // table → weights → history → log
    term.input.write('\x1b[5~'); // page up: leaves the tail
    await until('paged up', () => !term.text().includes('line-599-end'));
    term.input.write('\x1b[1~'); // home: the start of the scrollback, far beyond the 200-line tail
    await until('old lines', () => term.text().includes('line-0-end'));
    term.dashboard.appendLog(JSON.stringify({ level: 30, time: Date.now(), msg: 'line-new-end' }));
    await term.dashboard.refresh();
    t.true(term.text().includes('line-0-end'), 'still reading the old lines');
    t.false(term.text().includes('line-new-end'));
    term.input.write('\x1b[6~'); // page down
    t.false(term.text().includes('line-new-end'));
    term.input.write('\x1b[4~'); // end
    await until('following again', () => term.text().includes('line-new-end'));
    term.dashboard.appendLog(JSON.stringify({ level: 30, time: Date.now(), msg: 'line-after-end' }));
    await until('the newest line', () => term.text().includes('line-after-end'));
  } finally {
    term.dashboard.stop();
  }
});
