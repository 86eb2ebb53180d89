/**
 * The appliance's chain: opened and checked before anything else starts, and (on the embedded local
 * chain) the demo miners registered on it with their endpoints committed.
 */
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { ChainClient } from '../chain/client.ts';
import { LocalChain } from '../chain/local-chain.ts';
import { openChain } from '../chain/open.ts';
import { hotkeyFromUri } from '../chain/keys.ts';
import { buildCommitment, validateEndpointUrl } from '../chain/commitment.ts';
import { demoMinerHotkeyUri } from '../miner/demo-keys.ts';
import { redactUrl } from '../redact.ts';
import type { ApplianceConfig } from './config.ts';
import type { Startup } from './startup.ts';

export async function openApplianceChain(config: ApplianceConfig, store: Store, logger: Logger): Promise<ChainClient> {
  logger.info({ chain: config.chain === 'local' ? 'local' : redactUrl(config.chain) }, 'connecting to the chain (q or Ctrl-C cancels start-up)');
  const chain = await openChain({ spec: config.chain, db: store.db, dbLabel: config.db, logger });
  // The demo subnet lets a validator set weights every 25 blocks (5 min) so each 10-minute cycle lands.
  if (chain instanceof LocalChain) chain.ensureSubnet(config.netuid, { weightsRateLimit: 25 });
  try {
    // Refuse a runtime that lacks what discovery (and the validator) need before anything starts.
    logger.info({ ...chain.runtime(), chain: chain.description }, 'chain runtime');
    chain.requireRuntime(config.validate ? ['discover', 'validate'] : ['discover']);
  } catch (err) {
    await chain.close().catch(() => undefined);
    throw err;
  }
  return chain;
}

export interface DemoMiners {
  /** Their endpoints, in miner order. */
  urls: string[];
  /** The demo miners this process registered, hotkey → endpoint: the only ones exempt from the endpoint policy. */
  endpoints: Map<string, string>;
}

/** Starts `config.demoMiners` demo miners (none: nothing to do), registers them and commits their endpoints. */
export async function startDemoMinersOnChain(
  config: ApplianceConfig,
  chain: ChainClient,
  operator: KeyringPair | null,
  startup: Startup,
  logger: Logger,
): Promise<DemoMiners> {
  const { step } = startup;
  const demo: DemoMiners = { urls: [], endpoints: new Map() };
  if (config.demoMiners <= 0) return demo;
  if (!(chain instanceof LocalChain)) throw new Error('demo miners need the embedded local chain (--chain local)');
  const { startDemoMiners } = await step(import('../miner/demo.ts'));
  const miners = await step(
    startDemoMiners(config.demoMiners, {
      logger: logger.child({ component: 'demo-miner' }),
      basePort: config.port > 0 ? config.port + 1 : undefined,
    }),
    (started) => Promise.all(started.map((m) => m.close())),
  );
  startup.started('demo miners', async () => void (await Promise.all(miners.map((m) => m.close()))));
  // Register everyone first without waiting, then commit in parallel: all of it lands in the next
  // block, so start-up waits for one 12 s block instead of one per call.
  if (operator) await step(chain.ensureRegistered(config.netuid, operator.address, { wait: false }));
  const keys = await step(Promise.all(miners.map((_, i) => hotkeyFromUri(demoMinerHotkeyUri(i)))));
  const uids: number[] = [];
  for (const key of keys) uids.push((await step(chain.ensureRegistered(config.netuid, key.address, { wait: false }))).uid);
  const committed = (await step(chain.snapshot(config.netuid))).commitments;
  logger.info({ miners: miners.length }, "committing the demo miners' endpoints: waiting for the next block (q or Ctrl-C cancels start-up)");
  await step(
    Promise.all(
      miners.map(async (m, i) => {
        const commitment = buildCommitment({ repo: `kinitro-demo/${m.name}`, revision: 'demo0000', endpoint: m.url });
        // Re-committing resets first-commit priority, so only commit what changed (ports change per run).
        if (committed.find((c) => c.hotkey === keys[i]!.address)?.data !== commitment) await chain.setCommitment(config.netuid, keys[i]!, commitment);
        logger.info({ uid: uids[i], policy: m.name }, 'demo miner committed');
      }),
    ),
  );
  // In miner order, not in the order the commits happened to finish.
  demo.urls.push(...miners.map((m) => m.url));
  miners.forEach((m, i) => {
    const url = validateEndpointUrl(m.url);
    if (typeof url === 'string') demo.endpoints.set(keys[i]!.address, url);
  });
  return demo;
}
