/**
 * Files that hold secrets (API keys, hotkey URIs, private keys): written readable by their owner only,
 * with no moment at which the secret sits in a file others can read, and read back with a warning when
 * other users can read them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** `~` and `~/…` → the home directory. */
export function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

export class SecretFileError extends Error {
  override name = 'SecretFileError';
}

/**
 * Writes `content` to `file` with mode 0600: into a new temporary file created 0600 in the same
 * directory, then renamed over `file` (so an existing file with a looser mode is replaced, never
 * rewritten in place). The directory is created 0700 when missing.
 */
export function writeSecretFile(file: string, content: string): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Mode bits that let users other than the owner read or write. */
export function looseMode(file: string): number | null {
  try {
    const mode = fs.statSync(file).mode & 0o777;
    return (mode & 0o077) !== 0 ? mode : null;
  } catch {
    return null;
  }
}

/**
 * Reads a secret from a file: the whole content without its trailing line break (so `echo key > f`
 * works). An empty or unreadable file is an error; a file others can read is reported to `warn`.
 */
export function readSecretFile(file: string, what: string, warn?: (message: string) => void): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SecretFileError(
      `cannot read ${what} from ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new SecretFileError(`${file} is empty: expected ${what}`);
  const mode = looseMode(file);
  if (mode !== null && warn) warn(`${file} (${what}) is readable by other users (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 ${file}`);
  return value;
}
