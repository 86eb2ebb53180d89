/**
 * Hostile HTTP against a real API server on loopback: bodies that do not decode, decompression bombs,
 * request smuggling, deep nesting, wrong methods, and random bytes. Nothing may answer 5xx, nothing
 * may be logged at error level, nothing smuggled may be served, and the server must keep serving.
 */
import test from 'ava';
import net from 'node:net';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { pino } from 'pino';
import { startApi, type RunningApi } from '../src/api/server.ts';
import { tempStore, seedCycle, type TempStore } from './helpers/store.ts';

const KEY = 'fuzz-key-0123456789';
const POST_ROUTES = ['/v1/tasks/fetch', '/v1/tasks/submit', '/v1/tasks/heartbeat', '/v1/tasks/release'];
const GET_ROUTES = ['/health', '/v1/status', '/v1/tasks/stats', '/v1/weights/latest', '/v1/cycles', '/v1/miners'];

interface Fixture extends TempStore {
  api: RunningApi;
  /** Every log line the API wrote, at every level. */
  logs: { level: number; msg: string }[];
}

async function withFuzzApi(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const ts = tempStore();
  const logs: Fixture['logs'] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
  const api = await startApi({ store: ts.store, logger, host: '127.0.0.1', port: 0, apiKey: KEY, authDisabled: false });
  try {
    await fn({ ...ts, api, logs });
  } finally {
    await api.close();
    ts.cleanup();
  }
}

/** Writes raw bytes on a fresh connection and resolves with everything read once the server closes it. */
function rawExchange(port: number, request: Buffer | string, deadlineMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${deadlineMs} ms; read so far:\n${Buffer.concat(chunks).toString('latin1').slice(0, 500)}`));
    }, deadlineMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined); // a reset after the answer is fine: 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.end(request);
  });
}

const statuses = (response: string) => [...response.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));

async function post(api: RunningApi, path: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

function noErrorLogs(t: { deepEqual(a: unknown, b: unknown, m?: string): void }, logs: Fixture['logs']) {
  t.deepEqual(
    logs.filter((l) => l.level >= 50).map((l) => l.msg),
    [],
    'hostile requests are client errors: nothing is logged at error level',
  );
}

test('bodies that do not decode answer 400/415 with a detail, on every POST route, with and without a key', (t) =>
  withFuzzApi(async ({ api, logs }) => {
    const valid = Buffer.from('{"executor_id":"e","task_uuids":[],"results":[]}');
    const gz = zlib.gzipSync(valid);
    const cases: [string, string, Buffer, number[]][] = [
      ['gzip garbage', 'gzip', Buffer.from('this is not gzip'), [400]],
      ['deflate garbage', 'deflate', Buffer.from('this is not deflate'), [400]],
      ['brotli garbage', 'br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]), [400]],
      ['truncated gzip', 'gzip', gz.subarray(0, gz.length - 6), [400]],
      ['gzip header only', 'gzip', gz.subarray(0, 10), [400]],
      ['gzip with trailing garbage', 'gzip', Buffer.concat([gz, Buffer.from('garbage')]), [400, 401, 422, 200]],
      ['empty gzip body', 'gzip', Buffer.alloc(0), [400, 401, 422]],
      // zlib detects the format, so this one decodes: the routes answer as for a plain body.
      ['deflate labelled gzip', 'gzip', zlib.deflateSync(valid), [200, 401, 422]],
      ['unsupported zstd', 'zstd', valid, [415]],
      ['unsupported compress', 'compress', valid, [415]],
      ['stacked encodings', 'gzip, br', zlib.brotliCompressSync(zlib.gzipSync(valid)), [415]],
      ['nonsense encoding', '%%%;;;', valid, [415]],
    ];
    for (const path of POST_ROUTES) {
      for (const key of [KEY, null]) {
        for (const [what, encoding, body, expected] of cases) {
          const headers: Record<string, string> = { 'content-type': 'application/json', 'content-encoding': encoding };
          if (key) headers.authorization = `Bearer ${key}`;
          const r = await post(api, path, body, headers);
          const label = `${what} → ${path} (${key ? 'key' : 'no key'})`;
          t.true(expected.includes(r.status), `${label}: got ${r.status} ${JSON.stringify(r.body)}`);
          if (r.status >= 400) t.true(r.body && r.body.detail !== undefined, `${label}: has a detail`);
        }
      }
    }
    // A body in a supported encoding that decodes is accepted as usual.
    const ok = await post(api, '/v1/tasks/fetch', zlib.gzipSync('{"executor_id":"e"}'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: `Bearer ${KEY}`,
    });
    t.is(ok.status, 200);
    t.is((await fetch(`${api.url}/health`)).status, 200, 'still serving');
    noErrorLogs(t, logs);
    t.true(
      logs.some((l) => l.level <= 20 && l.msg === 'request rejected'),
      'rejections are logged at debug',
    );
  }));

test('decompression bombs stop at the body limit', (t) =>
  withFuzzApi(async ({ api, logs }) => {
    // 64 MB of spaces inside a JSON string: a ~64 kB gzip, ~50 B brotli.
    const bomb = Buffer.concat([Buffer.from('{"executor_id":"'), Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from('"}')]);
    for (const [encoding, body] of [
      ['gzip', zlib.gzipSync(bomb, { level: 9 })],
      ['deflate', zlib.deflateSync(bomb, { level: 9 })],
      ['br', zlib.brotliCompressSync(bomb)],
    ] as const) {
      t.true(body.length < 200_000, `${encoding} bomb is small on the wire (${body.length} B)`);
      const r = await post(api, '/v1/tasks/fetch', body, { 'content-type': 'application/json', 'content-encoding': encoding, authorization: `Bearer ${KEY}` });
      t.is(r.status, 413, encoding);
      t.deepEqual(r.body, { detail: 'Request body too large' });
    }
    t.is((await fetch(`${api.url}/health`)).status, 200);
    noErrorLogs(t, logs);
  }));

test('request smuggling is refused at the parser and nothing smuggled is served', (t) =>
  withFuzzApi(async ({ api, store, logs }) => {
    seedCycle(store);
    const smuggled = `POST /v1/tasks/fetch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{"executor_id":"sm"}`;
    const head = (headers: string) => `POST /v1/tasks/stats HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n`;
    const cases: [string, string][] = [
      ['CL.TE', `${head(`Content-Length: 6\r\nTransfer-Encoding: chunked\r\n`)}0\r\n\r\n${smuggled}`],
      ['TE.CL', `${head(`Transfer-Encoding: chunked\r\nContent-Length: 3\r\n`)}0\r\n\r\n${smuggled}`],
      ['two different Content-Lengths', `${head(`Content-Length: 0\r\nContent-Length: 44\r\n`)}${smuggled}`],
      ['Content-Length list', `${head(`Content-Length: 0, 44\r\n`)}${smuggled}`],
      ['obfuscated TE', `${head(`Transfer-Encoding: xchunked\r\n`)}0\r\n\r\n${smuggled}`],
      ['TE with identity', `${head(`Transfer-Encoding: chunked, identity\r\n`)}0\r\n\r\n${smuggled}`],
      ['space before colon', `${head(`Transfer-Encoding : chunked\r\nContent-Length: 0\r\n`)}${smuggled}`],
      ['folded header', `${head(`Transfer-Encoding: identity\r\n chunked\r\n`)}0\r\n\r\n${smuggled}`],
      ['bad chunk size', `${head(`Transfer-Encoding: chunked\r\n`)}zz\r\nabc\r\n0\r\n\r\n${smuggled}`],
      ['negative Content-Length', `${head(`Content-Length: -1\r\n`)}${smuggled}`],
      ['bare LF line endings', head('Content-Length: 0\r\n').replace(/\r\n/g, '\n') + smuggled],
      ['NUL in header', `${head(`X-Evil: a\u0000b\r\nContent-Length: 0\r\n`)}${smuggled}`],
    ];
    for (const [what, request] of cases) {
      const response = await rawExchange(api.port, request);
      const codes = statuses(response);
      t.true(
        codes.every((c) => c < 500),
        `${what}: ${codes.join(',')}`,
      );
      t.true(codes.length <= 1, `${what}: one request, one answer at most (got ${codes.join(',')})`);
    }
    t.is(store.tasks.stats(null).assignedTasks, 0, 'no smuggled fetch claimed a task');
    t.is((await fetch(`${api.url}/health`)).status, 200);
    noErrorLogs(t, logs);
  }));

test('deeply nested JSON is a 422, not a stack overflow', (t) =>
  withFuzzApi(async ({ api, logs }) => {
    const depth = 200_000;
    const nestedArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const bodies = [
      `{"executor_id":"e","batch_size":${nestedArray},"results":${nestedArray}}`,
      `${'{"a":'.repeat(depth / 2)}1${'}'.repeat(depth / 2)}`,
      `{"executor_id":"e","batch_size":[${nestedArray}],"results":[${nestedArray}]}`,
      '['.repeat(depth), // unterminated
    ];
    for (const path of ['/v1/tasks/fetch', '/v1/tasks/submit']) {
      for (const body of bodies) {
        const r = await post(api, path, body, { 'content-type': 'application/json', authorization: `Bearer ${KEY}` });
        t.is(r.status, 422, `${path} depth ${depth}: ${JSON.stringify(r.body).slice(0, 200)}`);
        t.true(JSON.stringify(r.body).length < 10_000, 'the error does not echo the whole input');
      }
    }
    t.is((await fetch(`${api.url}/health`)).status, 200);
    noErrorLogs(t, logs);
  }));

test('wrong methods answer 404/405 with a detail', (t) =>
  withFuzzApi(async ({ api, logs }) => {
    for (const path of POST_ROUTES) {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await fetch(`${api.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : '{}',
        });
        t.is(res.status, 405, `${method} ${path}`);
        t.deepEqual(await res.json(), { detail: 'Method Not Allowed' });
      }
    }
    for (const path of GET_ROUTES) {
      const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      t.is(res.status, 405, `POST ${path}`);
    }
    for (const method of ['OPTIONS', 'HEAD']) {
      const res = await fetch(`${api.url}/v1/tasks/fetch`, { method });
      t.true(res.status < 500, `${method}: ${res.status}`);
    }
    for (const line of ['FOO /health HTTP/1.1', 'GET /health HTTP/9.9', 'GET', 'CONNECT 127.0.0.1:22 HTTP/1.1', 'TRACE / HTTP/1.1']) {
      const codes = statuses(await rawExchange(api.port, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`));
      t.true(
        codes.every((c) => c < 500),
        `${line}: ${codes.join(',')}`,
      );
    }
    t.is((await fetch(`${api.url}/health`)).status, 200);
    noErrorLogs(t, logs);
  }));

test('random bodies, content types and encodings never answer 5xx (property)', (t) =>
  withFuzzApi(async ({ api, logs }) => {
    const results: number[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POST_ROUTES),
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.json().map((j) => new TextEncoder().encode(j)),
          fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
        ),
        fc.constantFrom(
          'application/json',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          '',
        ),
        fc.constantFrom('', 'identity', 'gzip', 'deflate', 'br', 'x-gzip', 'gzip, deflate'),
        fc.boolean(),
        async (path, bytes, type, encoding, withKey) => {
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (encoding) headers['content-encoding'] = encoding;
          if (withKey) headers.authorization = `Bearer ${KEY}`;
          const res = await fetch(`${api.url}${path}`, { method: 'POST', headers, body: bytes });
          const text = await res.text();
          results.push(res.status);
          if (res.status >= 500) throw new Error(`${res.status} ${text}`);
          if (res.status >= 400 && !('detail' in (JSON.parse(text) as object))) throw new Error(`no detail: ${text}`);
        },
      ),
      { numRuns: 300, seed: 15 },
    );
    t.true(results.length >= 300);
    t.is((await fetch(`${api.url}/health`)).status, 200);
    noErrorLogs(t, logs);
  }));
