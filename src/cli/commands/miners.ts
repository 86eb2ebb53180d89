import { defineCommand, opt } from '../command.ts';
import { discoverMiners } from '../../chain/discovery.ts';
import { CHAIN_OPTIONS, openChainFromOptions } from './commit.ts';
import { privateKeyOption } from './crypto.ts';
import { hotkeyFromUri } from '../../chain/keys.ts';
import { demoMinerHotkeyUri, MAX_DEMO_MINERS } from '../../miner/demo-keys.ts';
import fs from 'node:fs';
import { nonPublicReason } from '../../net/address-policy.ts';
import { Store, type SpotCheckRecord } from '../../store/index.ts';

async function demoMinerHotkeys(): Promise<Set<string>> {
  const keys = await Promise.all(Array.from({ length: MAX_DEMO_MINERS }, (_, i) => hotkeyFromUri(demoMinerHotkeyUri(i))));
  return new Set(keys.map((k) => k.address));
}

function isLoopbackEndpoint(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || nonPublicReason(host) === 'loopback';
}

export const minersCommand = defineCommand({
  path: ['miners'],
  summary: 'List the miners discovered from on-chain commitments (uid, hotkey, commit block, endpoint).',
  description:
    'Reads neurons and commitments at one block and parses them as the scheduler does; neurons without a usable commitment are listed with the reason (--all).',
  options: {
    ...CHAIN_OPTIONS,
    backendPrivateKey: opt.string('Operator X25519 private key (hex) to decrypt encrypted endpoints', { placeholder: 'HEX', secret: true }),
    backendPrivateKeyFile: opt.string('File holding the operator private key', { placeholder: 'FILE' }),
    allowPrivateEndpoints: opt.flag('Accept loopback/private endpoints, as `kinitro start --allow-private-endpoints` does'),
    all: opt.flag('Also list neurons that were skipped, with the reason', { env: false }),
    json: opt.flag('Print JSON', { env: false }),
  },
  async run({ options, stdout, stderr }) {
    const privateKey = privateKeyOption(options.backendPrivateKey, options.backendPrivateKeyFile);
    // The appliance's database, when there is one, holds the spot checks (docs/verification.md).
    const opened = await openChainFromOptions(options, { stderr, purposes: ['discover'], needDb: fs.existsSync(options.db) });
    try {
      const snapshot = await opened.chain.snapshot(options.netuid);
      // As the scheduler does: on the local chain the appliance's own demo miners may sit on loopback.
      const demo = opened.local ? await demoMinerHotkeys() : new Set<string>();
      const result = discoverMiners(snapshot, {
        backendPrivateKey: privateKey,
        allowPrivateEndpoint: options.allowPrivateEndpoints ? true : (hotkey, endpoint) => demo.has(hotkey) && isLoopbackEndpoint(endpoint),
      });
      const checks = new Map<string, SpotCheckRecord>();
      if (opened.db) for (const c of new Store(opened.db).spotChecks.latest()) checks.set(`${c.minerUid}:${c.hotkey}`, c);
      const checkOf = (m: { uid: number; hotkey: string }) => checks.get(`${m.uid}:${m.hotkey}`) ?? null;
      if (options.json) {
        stdout.write(
          JSON.stringify({
            netuid: options.netuid,
            block: result.block,
            block_hash: result.blockHash,
            miners: result.miners.map((m) => ({
              uid: m.uid,
              hotkey: m.hotkey,
              commit_block: m.commitBlock,
              repo: m.repo,
              revision: m.revision,
              deployment_id: m.deploymentId,
              endpoint: m.endpoint,
              encrypted: m.encrypted,
              self_hosted: m.selfHosted,
              commitment: m.raw,
              spot_check: (() => {
                const c = checkOf(m);
                return c ? { cycle_id: c.cycleId, revision: c.revision, outcome: c.outcome, reason: c.reason, checked_at: c.checkedAt } : null;
              })(),
            })),
            skipped: result.skipped.map((s) => ({ uid: s.uid, hotkey: s.hotkey, commit_block: s.commitBlock, commitment: s.raw, reason: s.reason })),
          }) + '\n',
        );
        return;
      }
      stdout.write(
        `subnet ${options.netuid} at block ${result.block} (${result.blockHash}): ${result.miners.length} miner(s), ${result.skipped.length} skipped\n`,
      );
      if (result.miners.length) {
        stdout.write(`${'UID'.padEnd(5)} ${'HOTKEY'.padEnd(48)} ${'BLOCK'.padEnd(8)} ${'REPO@REVISION'.padEnd(40)} ${'SPOT CHECK'.padEnd(13)} ENDPOINT\n`);
        for (const m of result.miners) {
          const c = checkOf(m);
          // The latest check applies to the revision it checked; a newer commitment has not been checked yet.
          const spot = !c ? '-' : c.revision === m.revision ? c.outcome : `${c.outcome}*`;
          stdout.write(
            `${String(m.uid).padEnd(5)} ${m.hotkey.padEnd(48)} ${String(m.commitBlock).padEnd(8)} ${`${m.repo}@${m.revision}`.padEnd(40)} ${spot.padEnd(13)} ${m.endpoint}${m.encrypted ? ' (encrypted)' : ''}\n`,
          );
        }
        const reasons = result.miners.map((m) => [m, checkOf(m)] as const).filter(([, c]) => c && c.outcome !== 'verified');
        for (const [m, c] of reasons) stdout.write(`uid ${m.uid} spot check (cycle ${c!.cycleId}, ${c!.revision ?? '-'}): ${c!.outcome}: ${c!.reason ?? ''}\n`);
        if (result.miners.some((m) => checkOf(m) && checkOf(m)!.revision !== m.revision))
          stdout.write('* checked an earlier revision than the one committed now\n');
      }
      const refused = result.skipped.filter((s) => s.reason.startsWith('refused endpoint'));
      if (!options.all && refused.length) stdout.write(`${refused.length} skipped for a non-public endpoint (--all lists them with the reason)\n`);
      if (options.all && result.skipped.length) {
        stdout.write('skipped:\n');
        for (const s of result.skipped)
          stdout.write(`${String(s.uid).padEnd(5)} ${s.hotkey.padEnd(48)} ${String(s.commitBlock ?? '-').padEnd(8)} ${s.reason}\n`);
      }
    } finally {
      await opened.close();
    }
  },
});
