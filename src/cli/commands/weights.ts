import { defineCommand, opt } from '../command.ts';
import { CHAIN_OPTIONS, openChainFromOptions } from './commit.ts';

export const weightsCommand = defineCommand({
  path: ['weights'],
  summary: 'Show the weights on chain for each validator uid of a subnet.',
  options: {
    ...CHAIN_OPTIONS,
    json: opt.flag('Print JSON', { env: false }),
  },
  async run({ options, stdout, stderr }) {
    const opened = await openChainFromOptions(options, { stderr, purposes: ['validate'] });
    try {
      const head = await opened.chain.head();
      const rows = await opened.chain.weights(options.netuid);
      if (options.json) {
        stdout.write(
          JSON.stringify({
            netuid: options.netuid,
            block: head.number,
            validators: rows.map((r) => ({
              uid: r.uid,
              hotkey: r.hotkey,
              last_update: r.lastUpdate,
              weights: Object.fromEntries(r.weights.map((w) => [String(w.uid), w.value])),
            })),
          }) + '\n',
        );
        return;
      }
      stdout.write(`subnet ${options.netuid} at block ${head.number}: ${rows.length} validator(s) with weights\n`);
      for (const r of rows) {
        const total = r.weights.reduce((s, w) => s + w.value, 0);
        stdout.write(`uid ${r.uid} ${r.hotkey} (last update block ${r.lastUpdate})\n`);
        for (const w of r.weights) {
          stdout.write(`  → uid ${String(w.uid).padEnd(5)} ${String(w.value).padStart(5)}  ${total ? ((100 * w.value) / total).toFixed(2) : '0.00'}%\n`);
        }
      }
    } finally {
      await opened.close();
    }
  },
});
