/**
 * A local stand-in for the subset of Basilica's REST API that `kinitro miner deploy` uses, written from
 * the Basilica SDK's published request/response types (one-covenant/basilica, crates/basilica-sdk:
 * `CreateDeploymentRequest`, `DeploymentResponse`, `DeleteDeploymentResponse`, the error body
 * `{"error": {"code", "message"}}`; camelCase JSON; `Authorization: Bearer`), not from kinitro's client:
 *
 *   POST   /deployments          create (idempotent by instanceName while active) → DeploymentResponse
 *   GET    /deployments          {deployments: [DeploymentSummary], total}
 *   GET    /deployments/{name}   DeploymentResponse
 *   DELETE /deployments/{name}   {instanceName, state: "Terminating", message}
 *
 * A created deployment is `Pending` (phase `pulling`) until the test's `launch` function — standing in
 * for the container — resolves with the URL it serves on; then it is `Active` with 1/1 replicas ready,
 * or `Failed` with the error as `message`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LaunchSpec {
  instanceName: string;
  image: string;
  port: number;
  command: string[] | null;
  env: Record<string, string>;
  resources: { cpu: string; memory: string; gpus?: { count: number; model: string[]; minGpuMemoryGb?: number } } | null;
}

interface Deployment {
  spec: LaunchSpec;
  state: 'Pending' | 'Active' | 'Failed' | 'Terminating';
  url: string;
  message: string | null;
  createdAt: string;
  replicas: number;
}

export class BasilicaStandIn {
  readonly deployments = new Map<string, Deployment>();
  /** Every create request body as received. */
  readonly created: Record<string, unknown>[] = [];
  private server!: http.Server;
  url = '';

  constructor(
    private readonly token: string,
    private readonly launch: (spec: LaunchSpec) => Promise<string>,
  ) {}

  static async start(token: string, launch: (spec: LaunchSpec) => Promise<string>): Promise<BasilicaStandIn> {
    const b = new BasilicaStandIn(token, launch);
    b.server = http.createServer((req, res) => {
      b.handle(req, res).catch((err: Error) => error(res, 500, 'BASILICA_API_INTERNAL', err.message));
    });
    await new Promise<void>((resolve) => b.server.listen(0, '127.0.0.1', resolve));
    b.url = `http://127.0.0.1:${(b.server.address() as AddressInfo).port}`;
    return b;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const auth = req.headers.authorization;
    if (!auth) return error(res, 401, 'BASILICA_API_AUTH_MISSING', 'Authentication required');
    if (auth !== `Bearer ${this.token}`) return error(res, 401, 'BASILICA_API_AUTH_INVALID', 'Invalid or expired token');
    const url = new URL(req.url ?? '/', 'http://basilica');
    const m = /^\/deployments(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return error(res, 404, 'BASILICA_API_NOT_FOUND', 'Not found');
    const name = m[1] ? decodeURIComponent(m[1]) : null;
    if (req.method === 'POST' && name === null) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return error(res, 400, 'BASILICA_API_INVALID_REQUEST', 'body is not JSON');
      }
      this.created.push(body);
      const problem = validate(body);
      if (problem) return error(res, 400, 'BASILICA_API_INVALID_REQUEST', problem);
      const spec: LaunchSpec = {
        instanceName: body.instanceName as string,
        image: body.image as string,
        port: body.port as number,
        command: (body.command as string[] | undefined) ?? null,
        env: (body.env as Record<string, string> | undefined) ?? {},
        resources: (body.resources as LaunchSpec['resources'] | undefined) ?? null,
      };
      const existing = this.deployments.get(spec.instanceName);
      if (existing && existing.state !== 'Failed' && existing.state !== 'Terminating') return json(res, 200, view(existing));
      const d: Deployment = { spec, state: 'Pending', url: '', message: null, createdAt: new Date().toISOString(), replicas: body.replicas as number };
      this.deployments.set(spec.instanceName, d);
      this.launch(spec).then(
        (u) => {
          d.url = u;
          if (d.state === 'Pending') d.state = 'Active';
        },
        (err: Error) => {
          d.state = 'Failed';
          d.message = err.message;
        },
      );
      return json(res, 201, view(d));
    }
    if (req.method === 'GET' && name === null) {
      const list = [...this.deployments.values()].map((d) => ({
        instanceName: d.spec.instanceName,
        state: d.state,
        url: d.url,
        replicas: replicas(d),
        createdAt: d.createdAt,
        public: true,
      }));
      return json(res, 200, { deployments: list, total: list.length });
    }
    const d = name !== null ? this.deployments.get(name) : undefined;
    if (!d) return error(res, 404, 'BASILICA_API_NOT_FOUND', `Deployment ${name} not found`);
    if (req.method === 'GET') return json(res, 200, view(d));
    if (req.method === 'DELETE') {
      d.state = 'Terminating';
      return json(res, 200, { instanceName: d.spec.instanceName, state: 'Terminating', message: 'Deletion initiated' });
    }
    error(res, 405, 'BASILICA_API_METHOD', 'Method not allowed');
  }
}

function validate(b: Record<string, unknown>): string | null {
  if (typeof b.instanceName !== 'string' || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(b.instanceName)) return 'instanceName must be a DNS label';
  if (typeof b.image !== 'string' || b.image === '') return 'image is required';
  if (!Number.isInteger(b.replicas) || (b.replicas as number) < 1) return 'replicas must be a positive integer';
  if (!Number.isInteger(b.port) || (b.port as number) < 1 || (b.port as number) > 65535) return 'port must be 1..65535';
  if (b.command !== undefined && (!Array.isArray(b.command) || b.command.some((c) => typeof c !== 'string'))) return 'command must be a list of strings';
  if (b.env !== undefined && (typeof b.env !== 'object' || b.env === null || Object.values(b.env).some((v) => typeof v !== 'string')))
    return 'env must map names to strings';
  const r = b.resources as Record<string, unknown> | undefined;
  if (r !== undefined) {
    if (typeof r.cpu !== 'string' || typeof r.memory !== 'string') return 'resources.cpu and resources.memory are strings';
    const g = r.gpus as Record<string, unknown> | undefined;
    if (g !== undefined && (!Number.isInteger(g.count) || !Array.isArray(g.model))) return 'resources.gpus needs count and model';
  }
  for (const k of Object.keys(b)) if (k.includes('_')) return `unknown field ${k} (fields are camelCase)`;
  return null;
}

function replicas(d: Deployment) {
  return { desired: d.replicas, ready: d.state === 'Active' ? d.replicas : 0 };
}

function view(d: Deployment) {
  return {
    instanceName: d.spec.instanceName,
    userId: 'standin-user',
    namespace: 'u-standin',
    state: d.state,
    url: d.url,
    replicas: replicas(d),
    createdAt: d.createdAt,
    phase: d.state === 'Pending' ? 'pulling' : d.state === 'Active' ? 'ready' : d.state.toLowerCase(),
    ...(d.message ? { message: d.message } : {}),
    publicMetadata: false,
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function error(res: http.ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message, timestamp: new Date().toISOString(), retryable: false } });
}
