import { startApi, type RunningApi } from '../../src/api/server.ts';
import { tempStore, type TempStore } from './store.ts';

export const API_KEY = 'test-key-0123456789';

export interface TestApi extends TempStore {
  api: RunningApi;
  url: string;
  close(): Promise<void>;
  get(path: string): Promise<{ status: number; body: any; headers: Headers }>;
  post(path: string, body: unknown, options?: { key?: string | null; raw?: string }): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startTestApi(options: { authDisabled?: boolean; apiKey?: string | null } = {}): Promise<TestApi> {
  const ts = tempStore();
  const api = await startApi({
    store: ts.store,
    host: '127.0.0.1',
    port: 0,
    apiKey: options.apiKey === undefined ? API_KEY : options.apiKey,
    authDisabled: options.authDisabled ?? false,
  });
  const call = async (method: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${api.url}${path}`, { method, ...init });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: body as any, headers: res.headers };
  };
  return {
    ...ts,
    api,
    url: api.url,
    async close() {
      await api.close();
      ts.cleanup();
    },
    get: (path) => call('GET', path),
    post: (path, body, o = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const key = o.key === undefined ? API_KEY : o.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      return call('POST', path, { headers, body: o.raw ?? JSON.stringify(body) });
    },
  };
}
