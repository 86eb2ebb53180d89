/**
 * Errors in FastAPI's shape (`{"detail": …}`), so clients of the original parse ours unchanged.
 * Validation failures are 422 with a list of pydantic-style error objects: zod's issues are mapped to
 * the `type`, `msg` and `ctx` pydantic v2 reports for the same input (see docs/api.md).
 */
import type { Middleware } from 'koa';
import type { z } from 'zod';
import type { Logger } from '../log.ts';

export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  /** The offending value (pydantic's `input`), left out when large or not serialisable. */
  input?: unknown;
  ctx?: Record<string, unknown>;
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

export type Where = 'body' | 'query' | 'path';

/** Echo an input only when it is small: a hostile body must not make the error itself expensive. */
const MAX_ECHO_CHARS = 1024;

function echo(value: unknown): { input?: unknown } {
  if (value === undefined) return {};
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return { input: value };
  if (typeof value === 'string') return value.length <= MAX_ECHO_CHARS ? { input: value } : {};
  try {
    // Throws RangeError on pathological nesting; that too just leaves the input out.
    const text = JSON.stringify(value);
    return text !== undefined && text.length <= MAX_ECHO_CHARS ? { input: value } : {};
  } catch {
    return {};
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown; parent: unknown } {
  let parent: unknown = undefined;
  let value: unknown = root;
  for (const key of path) {
    parent = value;
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return { found: false, value: undefined, parent };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value, parent };
}

/**
 * Whether the schema at `path` is an integer field. zod reports "expected number" for both ints and
 * floats; pydantic distinguishes `int_parsing` from `float_parsing`, so the schema is consulted. It
 * walks zod's public-to-library-authors `_zod.def`; anything unexpected means "not an int".
 */
function isIntField(schema: z.ZodType, path: readonly PropertyKey[]): boolean {
  type Def = {
    type?: string;
    shape?: Record<string, unknown>;
    element?: unknown;
    innerType?: unknown;
    in?: unknown;
    checks?: { _zod?: { def?: { format?: string } } }[];
  };
  const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;
  const unwrap = (s: unknown): unknown => {
    for (let d = defOf(s); d && (d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'pipe'); d = defOf(s)) {
      s = d.innerType ?? d.in;
    }
    return s;
  };
  let current: unknown = unwrap(schema);
  for (const key of path) {
    const def = defOf(current);
    if (def?.type === 'object' && typeof key === 'string') current = unwrap(def.shape?.[key]);
    else if (def?.type === 'array' && typeof key === 'number') current = unwrap(def.element);
    else return false;
  }
  const def = defOf(current);
  return def?.type === 'number' && (def.checks ?? []).some((c) => /int/.test(c._zod?.def?.format ?? ''));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One zod issue → pydantic v2 error objects (unrecognized keys give one per key, as pydantic). */
function toPydantic(issue: z.core.$ZodIssue, where: Where, schema: z.ZodType, input: unknown): ValidationIssue[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const loc = [where, ...path];
  const at = valueAt(input, issue.path);
  const value = at.value;
  const out = (type: string, msg: string, extra: { ctx?: Record<string, unknown>; input?: unknown } = echo(value)): ValidationIssue[] => [
    { type, loc, msg, ...extra },
  ];
  switch (issue.code) {
    case 'invalid_type': {
      if (!at.found && path.length > 0) return out('missing', 'Field required', echo(at.parent));
      if (issue.expected === 'int') return out('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
      if (issue.expected === 'number') {
        const int = isIntField(schema, issue.path);
        if (typeof value === 'string') {
          return int
            ? out('int_parsing', 'Input should be a valid integer, unable to parse string as an integer')
            : out('float_parsing', 'Input should be a valid number, unable to parse string as a number');
        }
        return int ? out('int_type', 'Input should be a valid integer') : out('float_type', 'Input should be a valid number');
      }
      if (issue.expected === 'string') return out('string_type', 'Input should be a valid string');
      if (issue.expected === 'boolean') {
        return typeof value === 'string'
          ? out('bool_parsing', 'Input should be a valid boolean, unable to interpret input')
          : out('bool_type', 'Input should be a valid boolean');
      }
      if (issue.expected === 'array') return out('list_type', 'Input should be a valid list');
      if (issue.expected === 'object') {
        return path.length === 0
          ? out('model_attributes_type', 'Input should be a valid dictionary or object to extract fields from')
          : out('model_type', 'Input should be a valid dictionary or object');
      }
      break;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'number' || issue.origin === 'int') {
        return issue.inclusive
          ? out('greater_than_equal', `Input should be greater than or equal to ${min}`, { ...echo(value), ctx: { ge: min } })
          : out('greater_than', `Input should be greater than ${min}`, { ...echo(value), ctx: { gt: min } });
      }
      if (issue.origin === 'string')
        return out('string_too_short', `String should have at least ${plural(min, 'character')}`, { ...echo(value), ctx: { min_length: min } });
      if (issue.origin === 'array') {
        const n = Array.isArray(value) ? value.length : 0;
        return out('too_short', `List should have at least ${plural(min, 'item')} after validation, not ${n}`, {
          ...echo(value),
          ctx: { field_type: 'List', min_length: min, actual_length: n },
        });
      }
      break;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'number' || issue.origin === 'int') {
        return issue.inclusive
          ? out('less_than_equal', `Input should be less than or equal to ${max}`, { ...echo(value), ctx: { le: max } })
          : out('less_than', `Input should be less than ${max}`, { ...echo(value), ctx: { lt: max } });
      }
      if (issue.origin === 'string')
        return out('string_too_long', `String should have at most ${plural(max, 'character')}`, { ...echo(value), ctx: { max_length: max } });
      if (issue.origin === 'array') {
        const n = Array.isArray(value) ? value.length : 0;
        return out('too_long', `List should have at most ${plural(max, 'item')} after validation, not ${n}`, {
          ...echo(value),
          ctx: { field_type: 'List', max_length: max, actual_length: n },
        });
      }
      break;
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => `'${String(v)}'`);
      const expected = options.length <= 1 ? (options[0] ?? '') : `${options.slice(0, -1).join(', ')} or ${options.at(-1)}`;
      return out('enum', `Input should be ${expected}`, { ...echo(value), ctx: { expected } });
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        type: 'extra_forbidden',
        loc: [...loc, key],
        msg: 'Extra inputs are not permitted',
        ...echo((value as Record<string, unknown>)?.[key]),
      }));
    default:
      break;
  }
  return out(issue.code, issue.message);
}

export function validationError(where: Where, error: z.ZodError, schema: z.ZodType, input: unknown): HttpError {
  return new HttpError(
    422,
    error.issues.flatMap((i) => toPydantic(i, where, schema, input)),
  );
}

/** FastAPI's answer to a body that is not JSON: `json_invalid` at the character where parsing stopped. */
export function jsonInvalid(message: string, doc: string | undefined): HttpError {
  const position = /position (\d+)/.exec(message);
  const pos = position ? Number(position[1]) : (doc?.length ?? 0);
  return new HttpError(422, [{ type: 'json_invalid', loc: ['body', pos], msg: 'JSON decode error', input: {}, ctx: { error: message } }]);
}

/**
 * What the body parser threw → a client error. Everything that goes wrong while reading and decoding
 * a request body is the client's doing (a body that does not decompress, an encoding we do not
 * speak, a body over the limit, a connection cut mid-body, bad JSON); none of it is a 500.
 */
export function bodyReadError(err: unknown): HttpError {
  const e = err as { status?: number; statusCode?: number; type?: string; code?: string; message?: string; body?: string };
  const status = e.status ?? e.statusCode;
  if (e.type === 'entity.parse.failed' || err instanceof SyntaxError) return jsonInvalid(e.message ?? 'invalid JSON', e.body);
  if (status === 413 || e.type === 'entity.too.large') return new HttpError(413, 'Request body too large');
  if (status === 415 || e.type === 'encoding.unsupported') return new HttpError(415, e.message ?? 'Unsupported Content-Encoding');
  // zlib / brotli failures (Z_DATA_ERROR, Z_BUF_ERROR, ERR_BROTLI_…): the body does not decompress.
  if (/^(Z_|ERR_BROTLI|ERR__?ZLIB)/.test(e.code ?? '')) {
    return new HttpError(400, `Request body could not be decoded with its Content-Encoding (${e.message ?? e.code})`);
  }
  if (status !== undefined && status >= 400 && status < 500) return new HttpError(status, e.message ?? 'Bad request');
  return new HttpError(400, `Request body could not be read (${e.message ?? 'unknown error'})`);
}

export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { detail: 'Not Found' };
      } else if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
        // The router answers 501 for a method no route implements (TRACE, …); for a client that is 405.
        ctx.status = 405;
        ctx.body = { detail: 'Method Not Allowed' };
      }
    } catch (err) {
      if (err instanceof HttpError) {
        // Client errors are routine on a public port: debug, never error level.
        if (err.status < 500)
          logger.debug(
            { status: err.status, path: ctx.path, method: ctx.method, detail: typeof err.detail === 'string' ? err.detail : err.detail.length },
            'request rejected',
          );
        else logger.warn({ status: err.status, path: ctx.path, method: ctx.method, detail: err.detail }, 'request failed');
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { detail: err.detail };
        return;
      }
      const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string };
      const status = e.status ?? e.statusCode ?? 500;
      if (status >= 400 && status < 500 && e.expose !== false) {
        logger.debug({ status, path: ctx.path, method: ctx.method, detail: e.message }, 'request rejected');
        ctx.status = status;
        ctx.body = { detail: e.message ?? 'Bad request' };
        return;
      }
      if (isDiskFull(err)) {
        // The executors' requests are fine; the appliance cannot store their results now. 503 says
        // "try again later" (an executor keeps its outcomes and retries), which is what it is.
        logger.error({ path: ctx.path, method: ctx.method, code: (err as { code?: string }).code }, 'database is full: request answered 503');
        ctx.status = 503;
        ctx.set('Retry-After', '60');
        ctx.body = { detail: 'Storage full: the appliance cannot record anything until disk space is freed; retry later' };
        return;
      }
      logger.error({ err, path: ctx.path, method: ctx.method }, 'request failed');
      ctx.status = 500;
      ctx.body = { detail: 'Internal server error' };
    }
  };
}

/** SQLite could not grow the database (a full disk, a quota, or the page-count limit). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}
