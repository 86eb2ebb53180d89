/**
 * The miner's deploy steps between `kinitro init-miner` and `kinitro commit` (docs/miner-guide.md):
 * `kinitro miner upload` (directory → Hugging Face commit) and `kinitro miner deploy` (that commit →
 * a Basilica deployment). Tokens come from the environment or a 0600 file (`--hf-token-file`,
 * `--api-token-file`), are never printed, and a token given on the command line draws a warning.
 */
import path from 'node:path';
import { CliUsageError, defineCommand, opt } from '../command.ts';
// The Hub and Basilica clients are loaded when these commands run, not on every `kinitro` start.
const DEFAULT_BASILICA_URL = 'https://api.basilica.ai';

const hubUrl = opt.string('Hugging Face Hub base URL', { default: 'https://huggingface.co', env: 'HF_ENDPOINT', placeholder: 'URL' });

function nextCommit(repo: string, revision: string, target: { deploymentId: string | null; url: string }): string {
  return target.deploymentId
    ? `kinitro commit --repo ${repo} --revision ${revision} --deployment-id ${target.deploymentId} --netuid <NETUID> --chain finney`
    : `kinitro commit --repo ${repo} --revision ${revision} --endpoint ${target.url} --netuid <NETUID> --chain finney`;
}

export const minerUploadCommand = defineCommand({
  path: ['miner', 'upload'],
  summary: 'Upload the miner directory to a Hugging Face model repo; prints the repo and the revision to commit.',
  description: [
    'Creates the repo when missing and pushes every file of --path as one commit (skipping .git, caches,',
    '*.pyc and files that look like secrets). The printed revision (a full commit id) is what',
    '`kinitro miner deploy` and `kinitro commit` take. The token needs write access: HF_TOKEN or --hf-token-file.',
  ].join('\n'),
  options: {
    repo: opt.string('Hugging Face model repo (owner/name)', { required: true, short: 'r', env: false }),
    path: opt.string('Directory to upload', { default: '.', short: 'p', env: false, placeholder: 'DIR' }),
    message: opt.string('Commit message', { default: 'Model update', short: 'm', env: false }),
    private: opt.flag('Create the repo private (validators cannot spot-check a private repo: keep it public to be verified)', { env: false }),
    hubUrl,
    hfToken: opt.string('Hugging Face write token', { env: 'HF_TOKEN', placeholder: 'TOKEN', secret: true }),
    json: opt.flag('Print JSON', { env: false }),
  },
  async run({ options, stdout, stderr }) {
    if (!options.hfToken) throw new CliUsageError('a Hugging Face write token is needed: set HF_TOKEN or pass --hf-token-file FILE (0600)');
    const { uploadDirectory, UploadError } = await import('../../deploy/hub-upload.ts');
    let r;
    try {
      r = await uploadDirectory({
        repo: options.repo,
        dir: path.resolve(options.path),
        token: options.hfToken,
        hubUrl: options.hubUrl,
        message: options.message,
        private: options.private,
      });
    } catch (err) {
      if (err instanceof UploadError) throw new CliUsageError(err.message);
      throw err;
    }
    for (const s of r.skippedSecrets) stderr.write(`not uploaded (looks like a secret): ${s}\n`);
    if (options.json) {
      stdout.write(JSON.stringify({ repo: r.repo, revision: r.revision, files: r.files, bytes: r.bytes, created: r.created }) + '\n');
      return;
    }
    stdout.write(`repo: ${r.repo}\nrevision: ${r.revision}\n`);
    stderr.write(`uploaded ${r.files.length} file(s), ${r.bytes} bytes${r.created ? ' (repo created)' : ''}\n`);
    stderr.write(`next: kinitro miner deploy --repo ${r.repo} --revision ${r.revision}\n`);
  },
});

export const minerDeployCommand = defineCommand({
  path: ['miner', 'deploy'],
  summary: 'Deploy a committed Hugging Face revision to Basilica; prints the deployment id/URL for `kinitro commit`.',
  description: [
    'Creates a Basilica deployment whose container downloads repo@revision (HF_REPO, HF_REVISION in its',
    'environment), installs requirements.txt and runs `python3 server.py` on port 8000; waits until',
    'Basilica reports it ready and GET /health answers. The API token: BASILICA_API_TOKEN or --api-token-file.',
  ].join('\n'),
  options: {
    repo: opt.string('Hugging Face model repo (owner/name)', { required: true, short: 'r', env: false }),
    revision: opt.string('Full commit id to deploy (printed by `kinitro miner upload`)', { required: true, env: false }),
    name: opt.string('Deployment name (default: from the repo)', { short: 'n', env: false }),
    image: opt.string('Container image (default python:3.11-slim, or a CUDA PyTorch image with GPUs)', { env: false }),
    gpuCount: opt.int('GPUs', { default: 0, min: 0, max: 8, env: false }),
    minVram: opt.int('Minimum GPU memory (GB)', { min: 1, env: false }),
    cpu: opt.string('CPU limit (Kubernetes quantity)', { default: '1', env: false }),
    memory: opt.string('Memory limit (Kubernetes quantity)', { default: '512Mi', env: false }),
    timeout: opt.int('Seconds to wait for the deployment to be ready and healthy', { default: 600, min: 1, env: false }),
    basilicaUrl: opt.string('Basilica API base URL', { default: DEFAULT_BASILICA_URL, env: 'BASILICA_API_URL', placeholder: 'URL' }),
    apiToken: opt.string('Basilica API token', { env: 'BASILICA_API_TOKEN', placeholder: 'TOKEN', secret: true }),
    hfReadToken: opt.string("Hugging Face READ token, only for a private repo: it is placed in the deployment's environment (never your write token)", {
      env: 'KINITRO_HF_READ_TOKEN',
      placeholder: 'TOKEN',
      secret: true,
    }),
    pollMs: opt.int('Status poll interval (ms)', { default: 5000, min: 10, env: false }),
    json: opt.flag('Print JSON', { env: false }),
  },
  async run({ options, stdout, stderr }) {
    if (!options.apiToken) throw new CliUsageError('a Basilica API token is needed: set BASILICA_API_TOKEN or pass --api-token-file FILE (0600)');
    if (!/^[0-9a-f]{40}$/.test(options.revision)) throw new CliUsageError('--revision must be the full 40-hex commit id that `kinitro miner upload` printed');
    if (options.minVram !== undefined && options.gpuCount === 0) throw new CliUsageError('--min-vram needs --gpu-count ≥ 1');
    const { deploy, DeployError } = await import('../../deploy/basilica.ts');
    let r;
    try {
      r = await deploy(
        {
          repo: options.repo,
          revision: options.revision,
          ...(options.name ? { name: options.name } : {}),
          ...(options.image ? { image: options.image } : {}),
          gpuCount: options.gpuCount,
          ...(options.minVram !== undefined ? { minVramGb: options.minVram } : {}),
          cpu: options.cpu,
          memory: options.memory,
          hfToken: options.hfReadToken ?? null,
        },
        {
          baseUrl: options.basilicaUrl,
          apiToken: options.apiToken,
          timeoutMs: options.timeout * 1000,
          pollMs: options.pollMs,
          onProgress: (l) => stderr.write(`${l}\n`),
        },
      );
    } catch (err) {
      if (err instanceof DeployError) throw new CliUsageError(err.message);
      throw err;
    }
    if (options.json) {
      stdout.write(JSON.stringify({ name: r.name, url: r.url, deployment_id: r.deploymentId, repo: options.repo, revision: options.revision }) + '\n');
      return;
    }
    stdout.write(`deployment: ${r.name}\nurl: ${r.url}\n${r.deploymentId ? `deployment id: ${r.deploymentId}\n` : ''}`);
    stderr.write(`next: ${nextCommit(options.repo, options.revision, r)}\n`);
  },
});
