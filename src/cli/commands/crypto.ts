import path from 'node:path';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { buildPublicKeyCommitment } from '../../chain/commitment.ts';
import { CryptoError, defaultKeyDirectory, loadPrivateKey, publicKeyFromPrivate, readPrivateKeyFile, writeKeypairFiles } from '../../chain/crypto.ts';
import { expandHome } from '../../chain/keys.ts';
import { CHAIN_OPTIONS, HOTKEY_OPTIONS, hotkeyFromOptions, openChainFromOptions } from './commit.ts';

/** The operator private key given as hex or as a key file (validated; `~` expanded), or undefined when neither is given. */
export function privateKeyOption(hex: string | undefined, file: string | undefined): string | undefined {
  try {
    if (hex) return (loadPrivateKey(hex), hex.trim().toLowerCase());
    if (file) return readPrivateKeyFile(expandHome(file));
  } catch (err) {
    if (err instanceof CryptoError) throw new CliUsageError(err.message);
    throw err;
  }
  return undefined;
}

function privateKeyFrom(options: { privateKey?: string; privateKeyFile?: string }): string {
  const key = privateKeyOption(options.privateKey, options.privateKeyFile);
  if (key === undefined) throw new CliUsageError('give --private-key HEX or --private-key-file FILE');
  return key;
}

const KEY_SOURCE = {
  privateKey: opt.string('X25519 private key (64 hex)', { short: 'k', env: 'KINITRO_BACKEND_PRIVATE_KEY', placeholder: 'HEX', secret: true }),
  privateKeyFile: opt.string('File holding the private key', { short: 'f', env: 'KINITRO_BACKEND_PRIVATE_KEY_FILE', placeholder: 'FILE' }),
};

export const cryptoGenerateKeypairCommand = defineCommand({
  path: ['crypto', 'generate-keypair'],
  summary: 'Generate the operator X25519 keypair used to encrypt miner endpoints.',
  description: 'Writes {output}/{name} (private key hex, mode 0600) and {name}.pub; refuses to overwrite without --force.',
  options: {
    output: opt.string('Directory for the key files (default $XDG_CONFIG_HOME/kinitro/keys)', { short: 'o', env: false, placeholder: 'DIR' }),
    name: opt.string('Base name of the key files', { short: 'n', default: 'backend', env: false }),
    force: opt.flag('Overwrite existing files', { env: false }),
  },
  async run({ options, stdout }) {
    const dir = path.resolve(expandHome(options.output ?? defaultKeyDirectory()));
    try {
      const files = writeKeypairFiles(dir, options.name, { force: options.force });
      stdout.write(`private key: ${files.privateKeyFile} (mode 0600)\npublic key:  ${files.publicKeyFile}\n${files.publicKeyHex}\n`);
    } catch (err) {
      if (err instanceof CryptoError) throw new CliUsageError(err.message);
      throw err;
    }
  },
});

export const cryptoShowPublicKeyCommand = defineCommand({
  path: ['crypto', 'show-public-key'],
  summary: 'Print the public key of an operator private key.',
  options: KEY_SOURCE,
  async run({ options, stdout }) {
    stdout.write(`${publicKeyFromPrivate(privateKeyFrom(options))}\n`);
  },
});

export const cryptoPublishPublicKeyCommand = defineCommand({
  path: ['crypto', 'publish-public-key'],
  summary: 'Commit the operator public key ({"t":"pk","k":…}) on chain with the operator hotkey.',
  options: { ...CHAIN_OPTIONS, ...HOTKEY_OPTIONS, ...KEY_SOURCE },
  async run({ options, stdout, stderr }) {
    const commitment = buildPublicKeyCommitment(publicKeyFromPrivate(privateKeyFrom(options)));
    const hotkey = await hotkeyFromOptions(options);
    const opened = await openChainFromOptions(options, { stderr, purposes: ['commit'] });
    try {
      if (opened.local) await opened.local.ensureRegistered(options.netuid, hotkey.address, { wait: false });
      const receipt = await opened.chain.setCommitment(options.netuid, hotkey, commitment);
      stdout.write(`published at block ${receipt.block}: ${commitment}\n`);
    } finally {
      await opened.close();
    }
  },
});
