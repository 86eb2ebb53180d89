/** Entry point of the `kinitro` CLI: picks the command by its words and runs it. */
import { CliUsageError, formatHelp, loadDotenv, resolveOptions, type CommandSpec } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { redactConsole, redactSecrets } from '../redact.ts';
import { VERSION } from '../version.ts';

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length)) + 2;
  const rows = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)} ${c.summary}`);
  return ['Usage: kinitro <command> [options]', '', 'Commands:', ...rows, '', 'Run `kinitro <command> --help` for its options.', ''].join('\n');
}

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  let best: CommandSpec | undefined;
  for (const spec of COMMANDS) {
    const matches = spec.path.every((word, i) => argv[i] === word);
    if (matches && (!best || spec.path.length > best.path.length)) best = spec;
  }
  return best ? { spec: best, rest: argv.slice(best.path.length) } : undefined;
}

export async function main(argv: string[]): Promise<number> {
  redactConsole();
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(topLevelHelp());
    return 0;
  }
  if (argv[0] === '--version') {
    process.stdout.write(`kinitro ${VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.path[0] === argv[0]);
    if (group.length > 0) {
      process.stderr.write(`kinitro ${argv[0]}: expected one of: ${group.map((c) => c.path.slice(1).join(' ')).join(', ')}\n`);
    } else {
      process.stderr.write(`kinitro: unknown command ${JSON.stringify(argv[0])}\n\n${topLevelHelp()}`);
    }
    return 2;
  }
  const { spec, rest } = found;
  try {
    const resolved = resolveOptions(spec, { argv: rest, env: process.env, dotenv: loadDotenv() });
    for (const warning of resolved.warnings) process.stderr.write(`kinitro ${spec.path.join(' ')}: warning: ${warning}\n`);
    if (resolved.help) {
      process.stdout.write(formatHelp(spec));
      return 0;
    }
    const code = await spec.run({ options: resolved.options, positionals: resolved.positionals, stdout: process.stdout, stderr: process.stderr });
    return code ?? 0;
  } catch (err) {
    if (err instanceof CliUsageError) {
      process.stderr.write(`kinitro ${spec.path.join(' ')}: ${err.message}\n`);
      return 2;
    }
    // Errors can quote a chain URL with credentials or an `?apikey=`: never print those.
    process.stderr.write(`kinitro ${spec.path.join(' ')}: error: ${redactSecrets((err as Error).message)}\n`);
    if (process.env.KINITRO_DEBUG) process.stderr.write(`${redactSecrets(String((err as Error).stack))}\n`);
    return 1;
  }
}
