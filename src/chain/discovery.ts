/**
 * Miner discovery (pure): a chain snapshot (+ the operator's X25519 private key when endpoints are
 * encrypted) → the miners to evaluate and the neurons skipped, each with a reason. Differences from
 * the original, on purpose: the operator's hotkeys and any JSON commitment (the public-key
 * commitment) are never miners (docs/original.md §13.21); deployment ids must be valid host labels (so a commitment
 * cannot point the executors at an arbitrary host through the Basilica URL template); the
 * `@url` extension is resolved (docs/original.md §13.22); and endpoints that are literal non-public addresses or local
 * names are refused (the endpoint policy, `src/net/address-policy.ts`).
 */
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { isJsonCommitment, isValidCommitment, isValidRepo, needsDecryption, parseCommitment, parsePublicKeyCommitment, resolveEndpoint } from './commitment.ts';
import { decryptDeploymentId } from './crypto.ts';
import { endpointHostProblem } from '../net/address-policy.ts';
import type { ChainSnapshot, Ss58 } from './types.ts';

export interface DiscoveredMiner {
  uid: number;
  hotkey: Ss58;
  repo: string;
  /** As committed (normally the first 8 characters of the revision). */
  revision: string;
  /** The Basilica deployment id ('' for a self-hosted `@url` endpoint). */
  deploymentId: string;
  /** Base URL of the miner's policy server. */
  endpoint: string;
  /** Block of the (latest) commitment: first-commit priority uses it. */
  commitBlock: number;
  encrypted: boolean;
  selfHosted: boolean;
  raw: string;
}

export interface SkippedNeuron {
  uid: number;
  hotkey: Ss58;
  raw: string | null;
  commitBlock: number | null;
  reason: string;
}

export interface DiscoveryResult {
  block: number;
  blockHash: string;
  miners: DiscoveredMiner[];
  skipped: SkippedNeuron[];
}

export interface DiscoveryOptions {
  /** The operator's X25519 private key (hex) to decrypt `…:e:<blob>` commitments. */
  backendPrivateKey?: string | null;
  /** Hotkeys that are never miners (the operator's validator/backend hotkeys). */
  excludeHotkeys?: readonly Ss58[];
  /**
   * Which miners may have a non-public endpoint (loopback, private, link-local, documentation, …):
   * `true` for all (the operator's explicit `--allow-private-endpoints`), or a predicate naming the
   * trusted ones (the appliance's own demo miners, by hotkey and URL). Default: none.
   */
  allowPrivateEndpoint?: boolean | ((hotkey: Ss58, endpoint: string) => boolean);
  logger?: Logger;
}

export function discoverMiners(
  snapshot: Pick<ChainSnapshot, 'block' | 'blockHash' | 'neurons' | 'commitments'>,
  options: DiscoveryOptions = {},
): DiscoveryResult {
  const log = options.logger ?? silentLogger;
  const excluded = new Set(options.excludeHotkeys ?? []);
  const byHotkey = new Map(snapshot.commitments.map((c) => [c.hotkey, c]));
  const miners: DiscoveredMiner[] = [];
  const skipped: SkippedNeuron[] = [];
  for (const neuron of [...snapshot.neurons].sort((a, b) => a.uid - b.uid)) {
    const commitment = byHotkey.get(neuron.hotkey);
    const skip = (reason: string) =>
      skipped.push({ uid: neuron.uid, hotkey: neuron.hotkey, raw: commitment?.data ?? null, commitBlock: commitment?.block ?? null, reason });
    if (excluded.has(neuron.hotkey)) {
      skip('operator hotkey');
      continue;
    }
    if (!commitment) {
      skip('no commitment');
      continue;
    }
    const raw = commitment.data;
    if (raw === '') {
      skip('empty or non-text commitment');
      continue;
    }
    if (parsePublicKeyCommitment(raw) !== null) {
      skip('operator public-key commitment');
      continue;
    }
    if (isJsonCommitment(raw)) {
      skip('JSON commitment (not a miner commitment)');
      continue;
    }
    const parsed = parseCommitment(raw);
    if (!parsed || !isValidCommitment(parsed)) {
      skip('malformed commitment (expected repo:revision:deployment)');
      continue;
    }
    if (!isValidRepo(parsed.repo)) {
      skip(`invalid repository ${JSON.stringify(parsed.repo)}`);
      continue;
    }
    let deploymentId = parsed.deploymentId;
    const encrypted = needsDecryption(parsed);
    if (encrypted) {
      if (!options.backendPrivateKey) {
        skip('encrypted endpoint and no backend private key configured');
        continue;
      }
      try {
        deploymentId = decryptDeploymentId(parsed.encryptedBlob!, options.backendPrivateKey);
      } catch (err) {
        log.warn({ uid: neuron.uid, hotkey: neuron.hotkey, err: (err as Error).message }, 'cannot decrypt miner endpoint');
        skip(`undecryptable endpoint: ${(err as Error).message}`);
        continue;
      }
    }
    const endpoint = resolveEndpoint(deploymentId);
    if (!endpoint.ok) {
      skip(`unusable endpoint: ${endpoint.reason}`);
      continue;
    }
    // The endpoint policy, as far as it goes without DNS: a literal non-public address or a local
    // name is refused here, visibly; names are checked again on their addresses when dialled.
    const refused = endpointHostProblem(endpoint.url);
    const allowPrivate = options.allowPrivateEndpoint;
    if (refused && !(allowPrivate === true || (typeof allowPrivate === 'function' && allowPrivate(neuron.hotkey, endpoint.url)))) {
      skip(`refused endpoint: ${refused}; miner endpoints must be public`);
      continue;
    }
    miners.push({
      uid: neuron.uid,
      hotkey: neuron.hotkey,
      repo: parsed.repo,
      revision: parsed.revision,
      deploymentId: endpoint.selfHosted ? '' : deploymentId,
      endpoint: endpoint.url,
      commitBlock: commitment.block,
      encrypted,
      selfHosted: endpoint.selfHosted,
      raw,
    });
  }
  return { block: snapshot.block, blockHash: snapshot.blockHash, miners, skipped };
}
