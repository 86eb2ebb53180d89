/**
 * A small, typed command framework. Every command declares its options once; the framework gives
 * `--help`, rejects unknown flags and bad values, and resolves each option with the precedence
 * command-line flag > environment (`KINITRO_*`) > `.env` file > default.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { expandHome, readSecretFile, SecretFileError } from '../secret-file.ts';

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

type Kind = 'string' | 'int' | 'number' | 'flag' | 'choice';

export interface OptionDef<T, HasValue extends boolean> {
  readonly kind: Kind;
  readonly description: string;
  readonly default?: T;
  readonly required?: boolean;
  /** Environment variable name; `false` for none. Default: KINITRO_ + the flag in UPPER_SNAKE. */
  readonly env?: string | false;
  /** Other environment names read after `env` (e.g. the original's `KINITRO_API_API_KEY`). */
  readonly envAliases?: readonly string[];
  readonly short?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Placeholder shown in help, e.g. FILE. */
  readonly placeholder?: string;
  /**
   * A secret (API key, hotkey URI, private key). Given on the command line it is visible to every
   * local user (`ps`, /proc/PID/cmdline), so that draws a warning. Unless the command declares its
   * own `<name>File` option, the framework adds `--<flag>-file FILE` and `<ENV>_FILE`, which read the
   * value from a file.
   */
  readonly secret?: boolean;
  /** Phantom marker for type inference. */
  readonly __type?: T;
  readonly __hasValue?: HasValue;
}

interface CommonOpts {
  env?: string | false;
  envAliases?: readonly string[];
  short?: string;
  placeholder?: string;
  secret?: boolean;
}

type WithDefault<T> = CommonOpts & { default: T; required?: false };
type Required = CommonOpts & { required: true; default?: undefined };
type Optional = CommonOpts & { required?: false; default?: undefined };

function def<T, H extends boolean>(kind: Kind, description: string, extra: object): OptionDef<T, H> {
  return { kind, description, ...extra } as OptionDef<T, H>;
}

function stringOpt(description: string, extra?: Optional): OptionDef<string, false>;
function stringOpt(description: string, extra: WithDefault<string> | Required): OptionDef<string, true>;
function stringOpt(description: string, extra: object = {}) {
  return def<string, boolean>('string', description, extra);
}
type Bounds = { min?: number; max?: number };
function intOpt(description: string, extra?: Optional & Bounds): OptionDef<number, false>;
function intOpt(description: string, extra: (WithDefault<number> | Required) & Bounds): OptionDef<number, true>;
function intOpt(description: string, extra: object = {}) {
  return def<number, boolean>('int', description, extra);
}
function numberOpt(description: string, extra?: Optional & Bounds): OptionDef<number, false>;
function numberOpt(description: string, extra: (WithDefault<number> | Required) & Bounds): OptionDef<number, true>;
function numberOpt(description: string, extra: object = {}) {
  return def<number, boolean>('number', description, extra);
}
/** A boolean switch; absent means false unless a default or the environment says otherwise. */
function flagOpt(description: string, extra: CommonOpts & { default?: boolean } = {}): OptionDef<boolean, true> {
  return def<boolean, true>('flag', description, { default: false, ...extra });
}
function choiceOpt<C extends string>(choices: readonly C[], description: string, extra?: Optional): OptionDef<C, false>;
function choiceOpt<C extends string>(choices: readonly C[], description: string, extra: WithDefault<C> | Required): OptionDef<C, true>;
function choiceOpt(choices: readonly string[], description: string, extra: object = {}) {
  return def<string, boolean>('choice', description, { ...extra, choices });
}

/** Option constructors: `opt.string`, `opt.int`, `opt.number`, `opt.flag`, `opt.choice`. */
export const opt = { string: stringOpt, int: intOpt, number: numberOpt, flag: flagOpt, choice: choiceOpt };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptionDef = OptionDef<any, boolean>;
export type OptionDefs = Record<string, AnyOptionDef>;

export type OptionValues<O extends OptionDefs> = {
  [K in keyof O]: O[K] extends OptionDef<infer T, infer H> ? (H extends true ? T : T | undefined) : never;
};

export interface PositionalDef {
  name: string;
  description: string;
  required?: boolean;
}

export interface CommandContext<O extends OptionDefs> {
  options: OptionValues<O>;
  positionals: string[];
  /** Standard output, for results (JSON or tables). Logs go to stderr. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface CommandSpec<O extends OptionDefs = OptionDefs> {
  /** The words that select it, e.g. ['db', 'init']. */
  path: string[];
  summary: string;
  /** Longer text shown by --help. */
  description?: string;
  options: O;
  positionals?: PositionalDef[];
  /** Returns the process exit code (default 0). Long-running commands resolve when they stop. */
  run(ctx: CommandContext<O>): Promise<number | void>;
}

export function defineCommand<O extends OptionDefs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The option that reads a secret from a file, when the framework provides it (see OptionDef.secret). */
export function secretFileKey(spec: CommandSpec, key: string): string | undefined {
  const d = spec.options[key]!;
  return d.secret && d.kind === 'string' && spec.options[`${key}File`] === undefined ? `${key}File` : undefined;
}

export function envName(key: string, d: AnyOptionDef): string | undefined {
  if (d.env === false) return undefined;
  return d.env ?? `KINITRO_${flagName(key).replace(/-/g, '_').toUpperCase()}`;
}

/** Reads `.env` from the working directory without touching process.env. */
export function loadDotenv(dir = process.cwd()): Record<string, string> {
  const file = path.join(dir, '.env');
  if (!fs.existsSync(file)) return {};
  return dotenv.parse(fs.readFileSync(file));
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

function convert(key: string, d: AnyOptionDef, raw: string | boolean, source: string): unknown {
  const where = `${source === 'flag' ? `--${flagName(key)}` : source}`;
  if (d.kind === 'flag') {
    if (typeof raw === 'boolean') return raw;
    const v = raw.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    throw new CliUsageError(`${where}: expected a boolean (true/false), got ${JSON.stringify(raw)}`);
  }
  const text = String(raw);
  switch (d.kind) {
    case 'string':
      if (text.length === 0) throw new CliUsageError(`${where}: must not be empty`);
      return text;
    case 'choice':
      if (!d.choices!.includes(text)) {
        throw new CliUsageError(`${where}: expected one of ${d.choices!.join(', ')}, got ${JSON.stringify(text)}`);
      }
      return text;
    case 'int':
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new CliUsageError(`${where}: expected a number, got ${JSON.stringify(text)}`);
      if (d.kind === 'int' && !Number.isInteger(n)) throw new CliUsageError(`${where}: expected an integer, got ${JSON.stringify(text)}`);
      if (d.min !== undefined && n < d.min) throw new CliUsageError(`${where}: must be ≥ ${d.min}, got ${n}`);
      if (d.max !== undefined && n > d.max) throw new CliUsageError(`${where}: must be ≤ ${d.max}, got ${n}`);
      return n;
    }
    default:
      throw new Error(`unknown option kind ${d.kind as string}`);
  }
}

export interface ResolveInput {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  dotenv?: Record<string, string>;
}

function secretFromFile(file: string, where: string, warnings: string[]): string {
  try {
    return readSecretFile(expandHome(file), `the value of ${where}`, (m) => warnings.push(m));
  } catch (err) {
    if (err instanceof SecretFileError) throw new CliUsageError(`${where}: ${err.message}`);
    throw err;
  }
}

/** Parses argv for one command and resolves every option. Throws CliUsageError on bad input. */
export function resolveOptions<O extends OptionDefs>(
  spec: CommandSpec<O>,
  input: ResolveInput,
): { options: OptionValues<O>; positionals: string[]; help: boolean; warnings: string[] } {
  const parseConfig: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [key, d] of Object.entries(spec.options)) {
    parseConfig[flagName(key)] = { type: d.kind === 'flag' ? 'boolean' : 'string', ...(d.short ? { short: d.short } : {}) };
    const fileKey = secretFileKey(spec, key);
    if (fileKey) parseConfig[flagName(fileKey)] = { type: 'string' };
  }
  const warnings: string[] = [];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: input.argv, options: parseConfig, strict: true, allowPositionals: true });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new CliUsageError(`${msg} (see \`kinitro ${spec.path.join(' ')} --help\`)`);
  }
  if (parsed.values.help) return { options: {} as OptionValues<O>, positionals: [], help: true, warnings };

  const maxPositionals = spec.positionals?.length ?? 0;
  if (parsed.positionals.length > maxPositionals) {
    throw new CliUsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])} (see \`kinitro ${spec.path.join(' ')} --help\`)`);
  }
  for (const [i, p] of (spec.positionals ?? []).entries()) {
    if (p.required && parsed.positionals[i] === undefined) throw new CliUsageError(`missing argument <${p.name}>: ${p.description}`);
  }

  const env = input.env ?? process.env;
  const dot = input.dotenv ?? {};
  const options: Record<string, unknown> = {};
  for (const [key, d] of Object.entries(spec.options)) {
    const flagValue = parsed.values[flagName(key)];
    const primary = envName(key, d);
    const names = primary ? [primary, ...(d.envAliases ?? [])] : [];
    const fileKey = secretFileKey(spec, key);
    const fileFlag = fileKey ? (parsed.values[flagName(fileKey)] as string | undefined) : undefined;
    const fileNames = fileKey ? names.map((n) => `${n}_FILE`) : [];
    const fromEnv = names.find((n) => env[n] !== undefined);
    const fromEnvFile = fileNames.find((n) => env[n] !== undefined);
    const fromDotenv = names.find((n) => dot[n] !== undefined);
    const fromDotenvFile = fileNames.find((n) => dot[n] !== undefined);
    if (flagValue !== undefined && fileFlag !== undefined) throw new CliUsageError(`give --${flagName(key)} or --${flagName(fileKey!)}, not both`);
    if (d.secret && flagValue !== undefined) {
      const better = [fileKey ? `--${flagName(fileKey)} FILE` : spec.options[`${key}File`] ? `--${flagName(`${key}File`)} FILE` : null, primary]
        .filter(Boolean)
        .join(' or ');
      warnings.push(`--${flagName(key)} on the command line is visible to every local user (ps, /proc/PID/cmdline)${better ? `; use ${better} instead` : ''}`);
    }
    let value: unknown;
    if (flagValue !== undefined) value = convert(key, d, flagValue as string | boolean, 'flag');
    else if (fileFlag !== undefined) value = convert(key, d, secretFromFile(fileFlag, `--${flagName(fileKey!)}`, warnings), `--${flagName(fileKey!)}`);
    else if (fromEnv) value = convert(key, d, env[fromEnv]!, `environment ${fromEnv}`);
    else if (fromEnvFile) value = convert(key, d, secretFromFile(env[fromEnvFile]!, `environment ${fromEnvFile}`, warnings), `environment ${fromEnvFile}`);
    else if (fromDotenv) value = convert(key, d, dot[fromDotenv]!, `.env ${fromDotenv}`);
    else if (fromDotenvFile) value = convert(key, d, secretFromFile(dot[fromDotenvFile]!, `.env ${fromDotenvFile}`, warnings), `.env ${fromDotenvFile}`);
    else value = d.default;
    if (value === undefined && d.required) {
      throw new CliUsageError(`missing --${flagName(key)}${primary ? ` (or ${primary})` : ''}: ${d.description}`);
    }
    options[key] = value;
  }
  return { options: options as OptionValues<O>, positionals: parsed.positionals, help: false, warnings };
}

export function formatHelp(spec: CommandSpec): string {
  const pos = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(' ');
  const lines = [`Usage: kinitro ${spec.path.join(' ')} [options]${pos ? ` ${pos}` : ''}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  if (spec.positionals?.length) {
    lines.push('', 'Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(28)} ${p.description}`);
  }
  lines.push('', 'Options:');
  for (const [key, d] of Object.entries(spec.options)) {
    const value = d.kind === 'flag' ? '' : ` ${d.placeholder ?? (d.kind === 'choice' ? d.choices!.join('|') : d.kind === 'string' ? 'VALUE' : 'N')}`;
    const left = `  ${d.short ? `-${d.short}, ` : ''}--${flagName(key)}${value}`;
    const extras: string[] = [];
    if (d.required) extras.push('required');
    if (d.default !== undefined && d.kind !== 'flag') extras.push(`default ${JSON.stringify(d.default)}`);
    const e = envName(key, d);
    if (e) extras.push(`env ${e}`);
    if (d.secret) extras.push('secret: prefer a file or the environment over the command line');
    lines.push(`${left.padEnd(30)} ${d.description}${extras.length ? ` (${extras.join('; ')})` : ''}`);
    const fileKey = secretFileKey(spec, key);
    if (fileKey) {
      lines.push(`${`  --${flagName(fileKey)} FILE`.padEnd(30)} Read --${flagName(key)} from FILE (trailing newline ignored)${e ? ` (env ${e}_FILE)` : ''}`);
    }
  }
  lines.push(`${'  -h, --help'.padEnd(30)} Show this help`);
  return lines.join('\n') + '\n';
}
