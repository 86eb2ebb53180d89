/**
 * Structured JSON logs (pino). Services take a `Logger` and call `.child({ component })`; the
 * appliance decides where lines go (stderr when headless, the TUI's log pane otherwise).
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { redactSecrets } from './redact.ts';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  // Every line passes the URL-credential redaction: a chain URL's user info or `?apikey=` can reach a
  // log through an error message from a library we do not control.
  return pino(
    { level: options.level ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime, hooks: { streamWrite: redactSecrets } },
    destination,
  );
}

/** A logger that drops everything: the default in tests and pure helpers. */
export const silentLogger: Logger = pino({ level: 'silent' });
