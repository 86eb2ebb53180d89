/**
 * `kinitro init-miner DIR`: copies a miner template into DIR — a standalone policy server a miner
 * edits, runs and deploys. Two templates:
 *  - `python` (the default, templates/python-miner): the original's layout — server.py, policy.py,
 *    rl_interface.py, camera.py, requirements.txt, Dockerfile — on the standard library plus numpy
 *    (`python3 server.py`); miners train in Python, so their server is Python too;
 *  - `typescript` (templates/miner): a koa server (`npm install && npm start`).
 * Existing files are never overwritten: they are skipped and reported, like the original's `miner init`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MINER_TEMPLATES = ['python', 'typescript'] as const;
export type MinerTemplate = (typeof MINER_TEMPLATES)[number];
export const DEFAULT_MINER_TEMPLATE: MinerTemplate = 'python';

export const TEMPLATE_DIRS: Record<MinerTemplate, string> = {
  python: fileURLToPath(new URL('../../templates/python-miner/', import.meta.url)),
  typescript: fileURLToPath(new URL('../../templates/miner/', import.meta.url)),
};
/** The TypeScript template's folder (kept for callers that predate the Python template). */
export const TEMPLATE_DIR = TEMPLATE_DIRS.typescript;

/** Template files stored under another name (a dotfile would be dropped by npm pack and hidden by tools). */
const RENAMES: Record<string, string> = { gitignore: '.gitignore' };
/** Files whose `{{name}}` placeholder is replaced by the project name. */
const TEMPLATED = new Set(['package.json', 'README.md']);

export interface InitMinerResult {
  dir: string;
  name: string;
  /** Paths relative to `dir`. */
  written: string[];
  skipped: string[];
}

/** An npm-safe package name from a directory name. */
export function projectName(dir: string): string {
  const base = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-]+$/g, '');
  return base.slice(0, 214) || 'kinitro-miner';
}

function listTemplate(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name === '__pycache__') continue;
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listTemplate(root, child));
    else if (entry.isFile() && !entry.name.endsWith('.pyc')) out.push(child);
  }
  return out;
}

export function initMiner(dir: string, options: { name?: string; template?: MinerTemplate; templateDir?: string } = {}): InitMinerResult {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && !fs.statSync(target).isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  const name = options.name ?? projectName(target);
  const templateDir = options.templateDir ?? TEMPLATE_DIRS[options.template ?? DEFAULT_MINER_TEMPLATE];
  const written: string[] = [];
  const skipped: string[] = [];
  for (const rel of listTemplate(templateDir)) {
    const parts = rel.split('/');
    parts[parts.length - 1] = RENAMES[parts[parts.length - 1]!] ?? parts[parts.length - 1]!;
    const outRel = parts.join('/');
    const out = path.join(target, outRel);
    if (fs.existsSync(out)) {
      skipped.push(outRel);
      continue;
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    let content = fs.readFileSync(path.join(templateDir, rel));
    if (TEMPLATED.has(outRel)) content = Buffer.from(content.toString('utf8').replaceAll('{{name}}', name));
    // `wx`: fail rather than overwrite if the file appeared since the check.
    fs.writeFileSync(out, content, { flag: 'wx' });
    written.push(outRel);
  }
  return { dir: target, name, written, skipped };
}
