/**
 * Resolves on the first SIGINT/SIGTERM, so long-running commands can shut down in order. Aborting
 * `until` removes the listeners (the promise then never resolves).
 */
export function untilSignal(until?: AbortSignal): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const remove = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      remove();
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    until?.addEventListener('abort', remove, { once: true });
  });
}

/**
 * After a cancelled start-up everything that writes (the store, the API) has been closed in order,
 * but an abandoned step may still be waiting on the network (a chain that does not answer, a block
 * not yet produced) and would hold the process open for up to a minute. This lets the process exit
 * with `code` once the current tick's output is flushed, whatever is still pending.
 */
export function exitPromptlyAfterCancel(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
}

/** Exit status of a command stopped by the user during start-up (128 + SIGINT, the shell convention). */
export const CANCELLED_EXIT_CODE = 130;
