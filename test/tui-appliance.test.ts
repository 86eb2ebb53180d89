/** `kinitro start`'s dashboard wrapper: start-up failures give the terminal back before the error is reported. */
import test from 'ava';
import path from 'node:path';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { runWithDashboard } from '../src/cli/run-appliance.ts';
import { createLogger } from '../src/log.ts';
import type { ApplianceConfig } from '../src/appliance.ts';
import { ENV_IDS } from '../src/sim/registry.ts';
import { tempDir } from './helpers/store.ts';

test('a failing start restores the terminal and rethrows', async (t) => {
  const dir = tempDir('kinitro-tui-app-');
  const output = Object.assign(new PassThrough(), { columns: 100, rows: 30, isTTY: true });
  let written = '';
  output.on('data', (d: Buffer) => (written += d.toString('utf8')));
  // The database path runs through a regular file: the store cannot open it.
  fs.writeFileSync(path.join(dir, 'blocker'), '');
  const config = {
    db: path.join(dir, 'blocker', 'k.sqlite'),
    chain: 'local',
    netuid: 1,
    logLevel: 'silent',
    envIds: [...ENV_IDS],
  } as unknown as ApplianceConfig;
  try {
    const err = await t.throwsAsync(() => runWithDashboard(config, { generatedKeyMessage: null, createLogger, input: new PassThrough(), output }));
    t.regex(err!.message, /EEXIST|ENOTDIR|not a directory|unable to open|cannot open/i);
    t.true(written.includes('\x1b[?1049h'), 'the dashboard was up');
    t.true(written.includes('\x1b[?1049l'), 'and the terminal restored');
    t.is(process.listenerCount('uncaughtExceptionMonitor'), 0, 'no process hooks left behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
