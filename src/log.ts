/**
 * Structured JSON logs (pino). Services take a `Logger` and call `.child({ component })`; the
 * appliance decides where lines go (stderr when headless, the TUI's log pane otherwise).
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  return pino({ level: options.level ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that drops everything: the default in tests and pure helpers. */
export const silentLogger: Logger = pino({ level: 'silent' });
