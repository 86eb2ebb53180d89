/**
 * Request parsing shared by the routes: pagination and how bodies, queries and path parameters are
 * validated into pydantic-shaped 422s. Each route's own request schema sits next to it (routes/).
 */
import { z } from 'zod';
import { HttpError, validationError } from './errors.ts';

export const pagination = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** What parseBody needs of a koa request: the parsed body and whether one was sent at all. */
export interface BodySource {
  body?: unknown;
  /** Set by the body parser when it read a JSON body. */
  rawBody?: string;
  /** Content-Length, when given. */
  length?: number;
}

/**
 * Validates a JSON body. No body (or JSON `null`) is pydantic's `missing` at `["body"]`, as the
 * original answers, rather than one error per required field.
 */
export function parseBody<S extends z.ZodType>(schema: S, request: BodySource): z.infer<S> {
  const body = request.body;
  if (request.rawBody === undefined && (request.length ?? 0) > 0) {
    // A body in a type we do not parse (text/plain, a form): pydantic's answer for a model given bytes.
    throw new HttpError(422, [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from' }]);
  }
  if (request.rawBody === undefined || request.rawBody.trim() === '' || body === null || body === undefined) {
    throw new HttpError(422, [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
  }
  const r = schema.safeParse(body);
  if (!r.success) throw validationError('body', r.error, schema, body);
  return r.data;
}

/**
 * Validates query parameters. A repeated scalar parameter takes its last value (as FastAPI does);
 * errors are located at `["query", name]`.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string | string[] | undefined>): z.infer<S> {
  const flat = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v.at(-1) : v]));
  const r = schema.safeParse(flat);
  if (!r.success) throw validationError('query', r.error, schema, flat);
  return r.data;
}

/** An integer path (or query) parameter; FastAPI answers 422 `int_parsing` otherwise. */
export function intParam(name: string, raw: string | undefined, where: 'path' | 'query' = 'path'): number {
  if (raw === undefined || !/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(422, [
      {
        type: 'int_parsing',
        loc: [where, name],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        ...(raw !== undefined && raw.length <= 1024 ? { input: raw } : {}),
      },
    ]);
  }
  return Number(raw);
}
