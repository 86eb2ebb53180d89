/**
 * A local stand-in for the subset of the Hugging Face Hub HTTP API that kinitro uses, written from the
 * Hub's published API (the `huggingface_hub` reference for the routes below and the Hub's documented
 * upload protocol), not from kinitro's client:
 *
 *   GET  /api/whoami-v2                                   who owns the token
 *   POST /api/repos/create {name, organization?, type?, private?}   → {url}; 409 when it exists
 *   GET  /api/models/{repo}/revision/{rev}[?expand=…]     model info at a revision (`sha`, `siblings`)
 *   GET  /api/models/{repo}/commits/{rev}[?limit&p]       history, newest first, paginated by Link rel="next"
 *   GET  /api/models/{repo}/tree/{rev}[/{path}]?recursive  file listing [{type, oid, size, path}]
 *   POST /api/models/{repo}/preupload/{rev}               {files:[{path,size,sample}]} → uploadMode per file
 *   POST /api/models/{repo}/commit/{rev}                  NDJSON: header line, then `file` lines (base64)
 *   GET  /{repo}/resolve/{rev}/{path}                     the file, with Range support, ETag, X-Repo-Commit
 *
 * Errors carry `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound) and `{"error": …}` like
 * the Hub. Revisions are `main` or a full 40-hex commit id. Only regular (non-LFS) uploads are
 * supported: preupload answers `regular` for every file up to 10 MB and refuses larger ones.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

interface Commit {
  id: string;
  title: string;
  date: string;
  author: string;
  files: Map<string, Buffer>;
}

interface Repo {
  owner: string;
  private: boolean;
  commits: Commit[]; // newest first
}

const MAX_REGULAR = 10 * 1024 * 1024;

export class HubStandIn {
  readonly repos = new Map<string, Repo>();
  /** Token → user name. */
  readonly tokens = new Map<string, string>();
  /** Every request line seen (method, path, whether a bearer token came with it), for assertions. */
  readonly requests: { method: string; path: string; authorized: boolean }[] = [];
  private server!: http.Server;
  url = '';

  static async start(): Promise<HubStandIn> {
    const hub = new HubStandIn();
    hub.server = http.createServer((req, res) => {
      hub.handle(req, res).catch((err: Error) => send(res, 500, { error: err.message }));
    });
    await new Promise<void>((resolve) => hub.server.listen(0, '127.0.0.1', resolve));
    hub.url = `http://127.0.0.1:${(hub.server.address() as AddressInfo).port}`;
    return hub;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates (or extends) a public repo with one commit holding `files`; returns the commit id. */
  seed(repo: string, files: Record<string, string | Buffer>, title = 'seed'): string {
    const r = this.repos.get(repo) ?? { owner: repo.split('/')[0]!, private: false, commits: [] };
    this.repos.set(repo, r);
    return this.addCommit(r, new Map(Object.entries(files).map(([p, c]) => [p, Buffer.isBuffer(c) ? c : Buffer.from(c)])), title, r.owner);
  }

  private addCommit(r: Repo, files: Map<string, Buffer>, title: string, author: string): string {
    const parent = r.commits[0];
    const merged = new Map(parent?.files ?? []);
    for (const [p, c] of files) merged.set(p, c);
    const id = createHash('sha1')
      .update(`${parent?.id ?? ''}${title}${randomBytes(8).toString('hex')}`)
      .digest('hex');
    r.commits.unshift({ id, title, date: new Date().toISOString(), author, files: merged });
    return id;
  }

  private user(req: http.IncomingMessage): string | null {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m ? (this.tokens.get(m[1]!) ?? null) : null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const method = req.method ?? 'GET';
    const p = decodeURIComponent(url.pathname);
    this.requests.push({ method, path: p, authorized: req.headers.authorization !== undefined });
    const user = this.user(req);
    if (req.headers.authorization && user === null) return send(res, 401, { error: 'Invalid credentials in Authorization header' });

    if (method === 'GET' && p === '/api/whoami-v2') {
      if (!user) return send(res, 401, { error: 'Invalid username or password.' });
      return send(res, 200, {
        type: 'user',
        id: createHash('sha1').update(user).digest('hex').slice(0, 24),
        name: user,
        fullname: user,
        orgs: [],
        auth: { type: 'access_token', accessToken: { role: 'write' } },
      });
    }
    if (method === 'POST' && p === '/api/repos/create') {
      if (!user) return send(res, 401, { error: 'You must be authenticated' });
      const body = JSON.parse((await readBody(req)).toString('utf8')) as { name?: string; organization?: string; type?: string; private?: boolean };
      if (body.type && body.type !== 'model') return send(res, 400, { error: 'only model repos in this stand-in' });
      const owner = body.organization ?? user;
      if (owner !== user) return send(res, 403, { error: 'You cannot create a repo in this namespace' });
      const name = `${owner}/${body.name}`;
      if (this.repos.has(name)) return send(res, 409, { error: 'You already created this model repo', url: `${this.url}/${name}` });
      this.repos.set(name, { owner, private: body.private === true, commits: [] });
      this.addCommit(this.repos.get(name)!, new Map([['.gitattributes', Buffer.from('*.bin filter=lfs diff=lfs merge=lfs -text\n')]]), 'initial commit', user);
      return send(res, 200, { url: `${this.url}/${name}`, name });
    }

    let m = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|commits|tree|preupload|commit)\/([^/]+)(?:\/(.*))?$/.exec(p);
    if (m) {
      const [, repoName, action, rev, rest] = m as unknown as [string, string, string, string, string | undefined];
      const repo = this.repos.get(repoName);
      if (!repo || (repo.private && user !== repo.owner)) return send(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      if (action === 'preupload' || action === 'commit') {
        if (method !== 'POST') return send(res, 405, { error: 'Method not allowed' });
        if (user !== repo.owner) return send(res, 403, { error: 'You do not have write access' });
        if (rev !== 'main') return send(res, 400, { error: 'this stand-in commits to main only' });
        const raw = await readBody(req);
        if (action === 'preupload') {
          const body = JSON.parse(raw.toString('utf8')) as { files: { path: string; size: number }[] };
          if (body.files.some((f) => f.size > MAX_REGULAR))
            return send(res, 400, { error: 'files over 10 MB need LFS, which this stand-in does not implement' });
          return send(res, 200, {
            files: body.files.map((f) => ({ path: f.path, uploadMode: 'regular', shouldIgnore: false, oid: null })),
            commitOid: repo.commits[0]?.id,
          });
        }
        const lines = raw
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
        const header = lines.find((l) => l.key === 'header');
        if (!header) return send(res, 400, { error: 'missing header line' });
        const files = new Map<string, Buffer>();
        for (const l of lines) {
          if (l.key === 'header') continue;
          if (l.key !== 'file') return send(res, 400, { error: `unsupported operation ${l.key}` });
          const v = l.value as { path: string; content: string; encoding: string };
          if (v.encoding !== 'base64') return send(res, 400, { error: 'content must be base64' });
          files.set(v.path, Buffer.from(v.content, 'base64'));
        }
        const id = this.addCommit(repo, files, String(header.value.summary ?? 'commit'), user);
        return send(res, 200, { success: true, commitOid: id, commitUrl: `${this.url}/${repoName}/commit/${id}`, hookOutput: '' });
      }
      if (method !== 'GET') return send(res, 405, { error: 'Method not allowed' });
      if (action === 'commits') {
        const start = repo.commits.findIndex((c) => c.id === rev);
        const from = rev === 'main' ? 0 : start;
        if (from < 0) return send(res, 404, { error: 'Revision not found' }, { 'X-Error-Code': 'RevisionNotFound' });
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 1000);
        const page = Number(url.searchParams.get('p') ?? 0) || 0;
        const slice = repo.commits.slice(from + page * limit, from + (page + 1) * limit);
        const headers: Record<string, string> = {};
        if (from + (page + 1) * limit < repo.commits.length)
          headers.Link = `<${this.url}/api/models/${repoName}/commits/${rev}?limit=${limit}&p=${page + 1}>; rel="next"`;
        return send(
          res,
          200,
          slice.map((c) => ({ id: c.id, title: c.title, message: '', authors: [{ user: c.author, avatar: '' }], date: c.date })),
          headers,
        );
      }
      const commit = resolve(repo, rev);
      if (!commit) return send(res, 404, { error: 'Invalid rev id' }, { 'X-Error-Code': 'RevisionNotFound' });
      if (action === 'revision') {
        const info: Record<string, unknown> = {
          _id: createHash('sha1').update(repoName).digest('hex').slice(0, 24),
          id: repoName,
          sha: commit.id,
          private: repo.private,
          lastModified: commit.date,
          siblings: [...commit.files.keys()].sort().map((rfilename) => ({ rfilename })),
        };
        const expand = url.searchParams.getAll('expand');
        if (expand.length === 0) return send(res, 200, info);
        return send(res, 200, Object.fromEntries(Object.entries(info).filter(([k]) => k === '_id' || k === 'id' || expand.includes(k))));
      }
      // tree
      const prefix = rest ? `${rest.replace(/\/$/, '')}/` : '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries = new Map<string, { type: string; oid: string; size: number; path: string }>();
      for (const [path, content] of [...commit.files].sort(([a], [b]) => a.localeCompare(b))) {
        if (!path.startsWith(prefix)) continue;
        const tail = path.slice(prefix.length).split('/');
        for (let i = 1; i < tail.length && (recursive || i === 1); i++) {
          const dir = prefix + tail.slice(0, i).join('/');
          entries.set(dir, { type: 'directory', oid: createHash('sha1').update(dir).digest('hex'), size: 0, path: dir });
        }
        if (!recursive && tail.length > 1) continue;
        entries.set(path, { type: 'file', oid: gitBlobOid(content), size: content.length, path });
      }
      return send(res, 200, [...entries.values()]);
    }

    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (m && (method === 'GET' || method === 'HEAD')) {
      const [, repoName, rev, path] = m as unknown as [string, string, string, string];
      const repo = this.repos.get(repoName);
      if (!repo || (repo.private && user !== repo.owner)) return send(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      const commit = resolve(repo, rev);
      if (!commit) return send(res, 404, { error: 'Revision not found' }, { 'X-Error-Code': 'RevisionNotFound' });
      const content = commit.files.get(path);
      if (!content) return send(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      const headers: Record<string, string> = {
        ETag: `"${gitBlobOid(content)}"`,
        'X-Repo-Commit': commit.id,
        'Accept-Ranges': 'bytes',
        'Content-Type': 'application/octet-stream',
      };
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
        if (start >= content.length && content.length > 0)
          return send(res, 416, { error: 'Range Not Satisfiable' }, { 'Content-Range': `bytes */${content.length}` });
        const part = content.subarray(start, end + 1);
        res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${Math.max(start, end)}/${content.length}`, 'Content-Length': String(part.length) });
        return void res.end(method === 'HEAD' ? undefined : part);
      }
      res.writeHead(200, { ...headers, 'Content-Length': String(content.length) });
      return void res.end(method === 'HEAD' ? undefined : content);
    }
    send(res, 404, { error: 'Not Found' });
  }
}

function resolve(repo: Repo, rev: string): Commit | undefined {
  if (rev === 'main' || rev === 'HEAD') return repo.commits[0];
  return repo.commits.find((c) => c.id === rev);
}

function gitBlobOid(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
