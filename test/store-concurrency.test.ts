/**
 * Several processes opening one fresh database at once (the issue: eight `kinitro commit` runs, two
 * failing with "table evaluation_cycles already exists"). Real child processes, real files.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/store.ts';
import { openDatabase, schemaVersion, SCHEMA_VERSION } from '../src/store/db.ts';

const N = 8;

test(`${N} \`kinitro commit\` processes on one fresh database all succeed`, async (t) => {
  t.timeout(180_000);
  const dir = tempDir();
  const file = path.join(dir, 'fresh.sqlite');
  try {
    const runs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        runCli(
          [
            'commit',
            '--chain',
            'local',
            '--netuid',
            '2',
            '--db',
            file,
            '--hotkey-uri',
            `//ConcurrentMiner${i}`,
            '--repo',
            `miner${i}/policy`,
            '--revision',
            'abcdef0123',
            '--deployment-id',
            `dep${i}`,
            '--json',
          ],
          { timeoutMs: 170_000, env: { KINITRO_DB: '' } },
        ),
      ),
    );
    for (const [i, r] of runs.entries()) t.is(r.code, 0, `commit ${i}: ${r.stderr}`);
    const commitments = runs.map((r) => (JSON.parse(r.stdout) as { commitment: string }).commitment).sort();
    t.deepEqual(commitments, Array.from({ length: N }, (_, i) => `miner${i}/policy:abcdef01:dep${i}`).sort());
    const db = openDatabase(file);
    t.is(schemaVersion(db), SCHEMA_VERSION);
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
