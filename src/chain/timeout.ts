/** Hard deadlines for chain calls: a node that stops answering must never hang a service. */
import { ChainTimeoutError } from './errors.ts';

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChainTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
