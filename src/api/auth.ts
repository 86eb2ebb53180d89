/** Bearer API-key check for the executor endpoints (docs/original.md §1.1), compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { HttpError } from './errors.ts';

export interface AuthConfig {
  apiKey: string | null;
  authDisabled: boolean;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function requireApiKey(config: AuthConfig): Middleware {
  // Comparing fixed-length digests keeps the comparison constant-time even when lengths differ.
  const expected = config.apiKey ? digest(config.apiKey) : null;
  return async (ctx, next) => {
    if (config.authDisabled) return next();
    if (!expected) throw new HttpError(500, "API key not configured. Set KINITRO_API_KEY (or the original's KINITRO_API_API_KEY) or use --no-auth.");
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new HttpError(401, 'Missing authorization header', { 'WWW-Authenticate': 'Bearer' });
    if (!timingSafeEqual(digest(match[1]!.trim()), expected)) throw new HttpError(401, 'Invalid API key', { 'WWW-Authenticate': 'Bearer' });
    return next();
  };
}
