/**
 * Errors in FastAPI's shape (`{"detail": …}`), so clients of the original parse ours unchanged.
 * Validation failures are 422 with a list of pydantic-style error objects.
 */
import type { Middleware } from 'koa';
import type { z } from 'zod';
import type { Logger } from '../log.ts';

export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ValidationIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : 'validation failed');
  }
}

export function validationError(where: 'body' | 'query' | 'path', error: z.ZodError): HttpError {
  return new HttpError(
    422,
    error.issues.map((i) => ({ type: i.code, loc: [where, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], msg: i.message })),
  );
}

export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { detail: 'Not Found' };
      }
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { detail: err.detail };
        return;
      }
      const e = err as { status?: number; statusCode?: number; expose?: boolean; type?: string; message?: string };
      const status = e.status ?? e.statusCode ?? 500;
      ctx.status = status;
      if (e.type === 'entity.parse.failed' || (status === 400 && /JSON/i.test(e.message ?? ''))) {
        // FastAPI answers malformed JSON with 422 json_invalid.
        ctx.status = 422;
        ctx.body = { detail: [{ type: 'json_invalid', loc: ['body'], msg: `JSON decode error: ${e.message ?? 'invalid JSON'}` }] };
      } else if (status === 413) {
        ctx.body = { detail: 'Request body too large' };
      } else if (status < 500 && e.expose !== false) {
        ctx.body = { detail: e.message ?? 'Bad request' };
      } else {
        logger.error({ err, path: ctx.path, method: ctx.method }, 'request failed');
        ctx.body = { detail: 'Internal server error' };
      }
    }
  };
}
