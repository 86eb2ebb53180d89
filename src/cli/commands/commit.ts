import type { Database } from 'better-sqlite3';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { openDatabase } from '../../store/db.ts';
import { createLogger, LOG_LEVELS, type LogLevel } from '../../log.ts';
import type { ChainClient } from '../../chain/client.ts';
import { buildCommitment, CommitmentError, validateEndpointUrl } from '../../chain/commitment.ts';
import { endpointHostProblem } from '../../net/address-policy.ts';
import { CryptoError, encryptDeploymentId } from '../../chain/crypto.ts';
import { KeyError, loadHotkey } from '../../chain/keys.ts';
import { LocalChain } from '../../chain/local-chain.ts';
import { ChainSpecError, DEFAULT_DB_FILE, openChain, parseChainTarget } from '../../chain/open.ts';
import type { Purpose } from '../../chain/runtime-schema.ts';
import type { KeyringPair } from '@polkadot/keyring/types';

/** Options every chain command shares. */
export const CHAIN_OPTIONS = {
  chain: opt.string('Chain: "local" (embedded chain in --db), "finney", "test" or a ws:// URL', { default: 'local', placeholder: 'URL|local' }),
  netuid: opt.int('Subnet id', { required: true, min: 1, max: 65535 }),
  db: opt.string('SQLite database (holds the local chain and the validator log)', { default: DEFAULT_DB_FILE, placeholder: 'FILE' }),
  logLevel: opt.choice(LOG_LEVELS, 'Log level (logs go to stderr)', { default: 'warn' as LogLevel }),
};

/** Options selecting the hotkey that signs. */
export const HOTKEY_OPTIONS = {
  hotkeyUri: opt.string('Hotkey secret URI: mnemonic or //Dev path (wins over the wallet options)', { placeholder: 'URI', secret: true }),
  walletName: opt.string('Bittensor wallet name', { default: 'default' }),
  hotkeyName: opt.string('Hotkey name inside the wallet', { default: 'default' }),
  walletPath: opt.string('Wallets directory', { default: '~/.bittensor/wallets', placeholder: 'DIR' }),
};

export async function hotkeyFromOptions(o: { hotkeyUri?: string; walletName: string; hotkeyName: string; walletPath: string }): Promise<KeyringPair> {
  try {
    return await loadHotkey(o);
  } catch (err) {
    if (err instanceof KeyError) throw new CliUsageError(err.message);
    throw err;
  }
}

export interface OpenedChain {
  chain: ChainClient;
  db: Database | null;
  /** The LocalChain when --chain local. */
  local: LocalChain | null;
  close(): Promise<void>;
}

/**
 * Opens the chain named by --chain. For `local`, the database is opened and the netuid is created on
 * first use (a convenience of the embedded chain: there is no subnet registration to pay for). A real
 * chain's runtime is named on stderr and refused when it lacks what `purposes` need (the drift guard).
 */
export async function openChainFromOptions(
  o: { chain: string; netuid: number; db: string; logLevel: LogLevel },
  context: { stderr: NodeJS.WritableStream; needDb?: boolean; purposes: Purpose[] },
): Promise<OpenedChain> {
  let target;
  try {
    target = parseChainTarget(o.chain);
  } catch (err) {
    if (err instanceof ChainSpecError) throw new CliUsageError(err.message);
    throw err;
  }
  const logger = createLogger({ level: o.logLevel });
  const db = target.kind === 'local' || context.needDb ? openDatabase(o.db) : null;
  let chain: ChainClient | undefined;
  const close = async () => {
    try {
      await chain?.close();
    } finally {
      db?.close();
    }
  };
  try {
    chain = await openChain({ spec: o.chain, db: db ?? undefined, dbLabel: o.db, logger });
    const local = chain instanceof LocalChain ? chain : null;
    if (local) {
      const { created } = local.ensureSubnet(o.netuid);
      if (created) context.stderr.write(`local chain: created subnet ${o.netuid} with default hyperparameters\n`);
    } else {
      const { specName, specVersion } = chain.runtime();
      context.stderr.write(`${chain.description}: runtime ${specName}/${specVersion}\n`);
    }
    chain.requireRuntime(context.purposes);
    return { chain, db, local, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

export const commitCommand = defineCommand({
  path: ['commit'],
  summary: 'Publish a miner commitment (repo, revision and endpoint) on chain.',
  description: [
    'Commits `{repo}:{revision[:8]}:{deployment}` (at most 128 bytes) with the hotkey.',
    'The endpoint is a Basilica deployment id (--deployment-id), optionally encrypted for the operator',
    '(--encrypt --backend-public-key HEX), or a self-hosted URL (--endpoint), committed as `@` + the URL',
    'with ":" and "%" percent-escaped.',
    'With --chain local the subnet is created on first use and the hotkey is registered if it is not yet',
    '(local convenience; a real chain needs a registration first).',
  ].join('\n'),
  options: {
    ...CHAIN_OPTIONS,
    ...HOTKEY_OPTIONS,
    repo: opt.string('Hugging Face repository (owner/name)', { required: true, env: false }),
    revision: opt.string('Model revision (commit SHA); the first 8 characters are committed', { required: true, env: false }),
    endpoint: opt.string('Self-hosted policy server base URL (http or https)', { env: false, placeholder: 'URL' }),
    deploymentId: opt.string('Basilica deployment id', { env: false, placeholder: 'ID' }),
    encrypt: opt.flag('Encrypt the deployment id for the operator', { env: false }),
    backendPublicKey: opt.string('Operator X25519 public key (64 hex) for --encrypt', { placeholder: 'HEX' }),
    allowPrivateEndpoints: opt.flag('Commit a loopback/private --endpoint anyway (local testing: validators refuse it unless they allow private endpoints)'),
    json: opt.flag('Print JSON', { env: false }),
  },
  async run({ options, stdout, stderr }) {
    if ((options.endpoint === undefined) === (options.deploymentId === undefined)) {
      throw new CliUsageError('give exactly one of --endpoint URL or --deployment-id ID');
    }
    if (options.endpoint !== undefined && !options.allowPrivateEndpoints) {
      // The endpoint policy every validator applies at discovery: committing what it will refuse
      // only wastes the commitment (and its first-commit priority).
      const normalized = validateEndpointUrl(options.endpoint);
      const problem = typeof normalized === 'string' ? endpointHostProblem(normalized) : null;
      if (problem)
        throw new CliUsageError(`--endpoint: ${problem}; validators only call public endpoints (--allow-private-endpoints to commit it for local testing)`);
    }
    let commitment: string;
    try {
      if (options.encrypt) {
        if (options.deploymentId === undefined) throw new CliUsageError('--encrypt works with --deployment-id (a UUID), not --endpoint');
        if (!options.backendPublicKey) throw new CliUsageError('--encrypt needs --backend-public-key (or KINITRO_BACKEND_PUBLIC_KEY)');
        const blob = encryptDeploymentId(options.deploymentId, options.backendPublicKey);
        commitment = buildCommitment({ repo: options.repo, revision: options.revision, encryptedBlob: blob });
      } else {
        commitment = buildCommitment({ repo: options.repo, revision: options.revision, deploymentId: options.deploymentId, endpoint: options.endpoint });
      }
    } catch (err) {
      if (err instanceof CommitmentError || err instanceof CryptoError) throw new CliUsageError(err.message);
      throw err;
    }
    const hotkey = await hotkeyFromOptions(options);
    const opened = await openChainFromOptions(options, { stderr, purposes: ['commit'] });
    try {
      let registeredUid: number | null = null;
      if (opened.local) {
        const reg = await opened.local.ensureRegistered(options.netuid, hotkey.address, { wait: false });
        if (reg.registered) {
          registeredUid = reg.uid;
          stderr.write(`local chain: registered ${hotkey.address} on subnet ${options.netuid} as uid ${reg.uid}\n`);
        }
      }
      stderr.write(`committing as ${hotkey.address}; waiting for inclusion…\n`);
      const receipt = await opened.chain.setCommitment(options.netuid, hotkey, commitment);
      if (options.json) {
        stdout.write(
          JSON.stringify({
            netuid: options.netuid,
            hotkey: hotkey.address,
            commitment,
            block: receipt.block,
            block_hash: receipt.blockHash,
            registered_uid: registeredUid,
          }) + '\n',
        );
      } else {
        stdout.write(`committed at block ${receipt.block} (${receipt.blockHash})\n${commitment}\n`);
      }
    } finally {
      await opened.close();
    }
  },
});
