/**
 * Redaction of credentials that travel inside URLs: `wss://user:password@host/` and `?apikey=…`-style
 * query parameters (node providers put API keys there). Applied to the chain's description (what
 * `GET /v1/appliance`, the TUI and log lines show), to every log line, and to CLI error messages.
 */

/** Query parameters whose value is a credential. */
const SECRET_PARAM = /^(api[-_]?key|apikey|key|token|access[-_]?token|auth|authorization|secret|password|passwd|pass|sig|signature|x-api-key)$/i;

const MASK = '***';

/** A URL with its user info and credential-bearing query parameters masked; text that is not a URL goes through `redactSecrets`. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return redactSecrets(text);
  }
  const secretParams = [...url.searchParams.keys()].filter((key) => SECRET_PARAM.test(key));
  // Nothing to hide: keep the text as given (URL would normalise it, e.g. drop a default port).
  if (!url.username && !url.password && secretParams.length === 0) return text;
  if (url.username) url.username = MASK;
  if (url.password) url.password = MASK;
  for (const key of secretParams) url.searchParams.set(key, MASK);
  // URLSearchParams re-encodes the mask; show it plainly.
  return url.toString().replace(/%2A%2A%2A/g, MASK);
}

/**
 * Libraries we do not control print to the console themselves (@polkadot/api logs
 * "disconnected from <url>" on every reconnect, with the URL as given). The CLI routes the console
 * through the same redaction as its own logs.
 */
let consoleRedacted = false;

export function redactConsole(): void {
  if (consoleRedacted) return;
  consoleRedacted = true;
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) =>
      original(...args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a instanceof Error ? redactSecrets(String(a.stack ?? a.message)) : a)));
  }
}

/** Masks URL user info and credential query parameters wherever they appear in free text (log lines, errors). */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi, (_, scheme: string) => `${scheme}${MASK}@`)
    .replace(
      /([?&;](?:api[-_]?key|apikey|key|token|access[-_]?token|auth|authorization|secret|password|passwd|pass|sig|signature|x-api-key)=)[^&\s"'#<>\\]*/gi,
      `$1${MASK}`,
    );
}
