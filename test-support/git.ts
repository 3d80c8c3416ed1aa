// Real-git stand-ins for the repository side of a run: a bare "GitHub" origin, a workspace left the way
// actions/checkout leaves it, another person pushing meanwhile, and readers for what the origin ends up holding.
// Everything here runs plain git with a clean environment (no global/system config) so the machine's git setup
// cannot change a test's outcome.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Origin {
  /** The bare repository. */
  bareDir: string;
  /** A file:// URL of it, usable as a remote. */
  url: string;
  defaultBranch: string;
  /** Parent temp dir holding the origin and the scratch clones the helpers make. */
  root: string;
}

const HUMAN = { name: 'Hu Man', email: 'human@example.com' };

let cleanHome: string | undefined;
async function home(): Promise<string> {
  cleanHome ??= await mkdtemp(join(tmpdir(), 'bda-harness-home-'));
  return cleanHome;
}

/** Runs plain git with a clean environment; rejects with stderr on a non-zero exit. */
export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const h = await home();
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: h,
          XDG_CONFIG_HOME: h,
          LANG: 'C',
          LC_ALL: 'C',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: HUMAN.name,
          GIT_AUTHOR_EMAIL: HUMAN.email,
          GIT_COMMITTER_NAME: HUMAN.name,
          GIT_COMMITTER_EMAIL: HUMAN.email,
          ...env,
        },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** A bare repository with one initial commit on the default branch (`main`). */
export async function createOrigin(
  opts: { defaultBranch?: string; files?: Record<string, string> } = {},
): Promise<Origin> {
  const defaultBranch = opts.defaultBranch ?? 'main';
  const root = await mkdtemp(join(tmpdir(), 'bda-origin-'));
  const bareDir = join(root, 'origin.git');
  await git(root, ['init', '-q', '--bare', `--initial-branch=${defaultBranch}`, bareDir]);
  const seed = join(root, 'seed');
  await git(root, ['init', '-q', `--initial-branch=${defaultBranch}`, seed]);
  await writeFiles(seed, opts.files ?? { 'README.md': '# demo\n', 'src/app.js': 'export const answer = 42;\n' });
  await git(seed, ['add', '-A']);
  await git(seed, ['commit', '-q', '-m', 'Initial commit']);
  await git(seed, ['push', '-q', bareDir, `HEAD:refs/heads/${defaultBranch}`]);
  await rm(seed, { recursive: true, force: true });
  return { bareDir, url: pathToFileURL(bareDir).href, defaultBranch, root };
}

/** The extraheader value actions/checkout persists for a token. */
export function checkoutExtraheader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/**
 * A workspace the way actions/checkout (persist-credentials: true, fetch-depth: 1) leaves it for an issue_comment
 * event: init, origin remote, the token persisted as `http.<server>/.extraheader`, a shallow fetch of the ref and
 * `checkout -B <ref>`.
 */
export async function checkoutLikeActions(
  origin: Origin,
  opts: { token: string; ref?: string; serverUrl?: string; dir?: string },
): Promise<string> {
  const ref = opts.ref ?? origin.defaultBranch;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'bda-workspace-')));
  const server = (opts.serverUrl ?? 'https://github.com').replace(/\/$/, '');
  await git(dir, ['init', '-q', `--initial-branch=${ref}`, dir]);
  await git(dir, ['remote', 'add', 'origin', origin.url]);
  await git(dir, ['config', '--local', 'gc.auto', '0']);
  await git(dir, ['config', '--local', `http.${server}/.extraheader`, checkoutExtraheader(opts.token)]);
  await git(dir, [
    '-c',
    'protocol.version=2',
    'fetch',
    '--no-tags',
    '--prune',
    '--no-recurse-submodules',
    '--depth=1',
    'origin',
    `+refs/heads/${ref}:refs/remotes/origin/${ref}`,
  ]);
  await git(dir, ['checkout', '-q', '--force', '-B', ref, `refs/remotes/origin/${ref}`]);
  return dir;
}

/** Another person pushes a commit to `branch` (created from the default branch if missing). Returns its sha. */
export async function pushAsHuman(
  origin: Origin,
  branch: string,
  files: Record<string, string | Buffer | null>,
  message = 'Human change',
): Promise<string> {
  const dir = await mkdtemp(join(origin.root, 'human-'));
  await git(dir, ['clone', '-q', origin.url, dir]);
  const exists = (await git(dir, ['ls-remote', '--heads', 'origin', `refs/heads/${branch}`])).trim() !== '';
  await git(dir, ['checkout', '-q', '-B', branch, exists ? `origin/${branch}` : `origin/${origin.defaultBranch}`]);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) await rm(join(dir, path), { force: true });
    else await writeFiles(dir, { [path]: content });
  }
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', message]);
  await git(dir, ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
  const sha = (await git(dir, ['rev-parse', 'HEAD'])).trim();
  await rm(dir, { recursive: true, force: true });
  return sha;
}

export interface CommitInfo {
  sha: string;
  subject: string;
  body: string;
  authorName: string;
  authorEmail: string;
  committerName: string;
  /** `Key: value` trailers of the message. */
  trailers: string[];
}

export interface BranchState {
  sha: string;
  /** Every file at the tip, as text (binary files as latin1 so bytes compare). */
  files: Record<string, string>;
  /** Newest first. */
  log: CommitInfo[];
}

/** What the origin holds on a branch, or null when the branch does not exist. */
export async function readBranch(origin: Origin, branch: string): Promise<BranchState | null> {
  const ref = `refs/heads/${branch}`;
  const sha = (await git(origin.bareDir, ['for-each-ref', '--format=%(objectname)', ref])).trim();
  if (!sha) return null;
  const files: Record<string, string> = {};
  const names = (await git(origin.bareDir, ['ls-tree', '-r', '-z', '--name-only', sha])).split('\0').filter(Boolean);
  for (const name of names) {
    const buf = await new Promise<Buffer>((resolve, reject) => {
      execFile(
        'git',
        ['cat-file', 'blob', `${sha}:${name}`],
        { cwd: origin.bareDir, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- ExecFileException is an Error (built from Omit<> types the rule does not see through)
        (e, out) => (e ? reject(e) : resolve(out)),
      );
    });
    files[name] = buf.toString('latin1');
  }
  const SEP = '\x1e';
  const raw = await git(origin.bareDir, [
    'log',
    `--format=%H%x1f%s%x1f%b%x1f%an%x1f%ae%x1f%cn%x1f%(trailers:only,unfold)${SEP}`,
    sha,
  ]);
  const log = raw
    .split(SEP)
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r.trim())
    .map((r) => {
      const [s, subject, body, an, ae, cn, trailers] = r.split('\x1f');
      return {
        sha: s!,
        subject: subject!,
        body: body!,
        authorName: an!,
        authorEmail: ae!,
        committerName: cn!,
        trailers: (trailers ?? '').split('\n').filter(Boolean),
      };
    });
  return { sha, files, log };
}

/** Branch names on the origin, sorted. */
export async function listBranches(origin: Origin): Promise<string[]> {
  const out = await git(origin.bareDir, ['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/']);
  return out.split('\n').filter(Boolean).sort();
}

export interface HttpOrigin {
  /** Base URL standing in for the server (e.g. http://127.0.0.1:PORT); the repo is at `${serverUrl}/${repoFullName}`. */
  serverUrl: string;
  repoUrl: string;
  /** The Authorization header of every request, in order. */
  authorizations: Array<string | undefined>;
  /** Requests for uploads (`/user-attachments/assets/<id>`), with their Authorization header. */
  assetRequests: Array<{ path: string; authorization: string | undefined }>;
  /** From now on, accept only this token. */
  expect(token: string): void;
  close(): Promise<void>;
}

/**
 * Serves the origin over smart HTTP (git http-backend) at `${serverUrl}/${repoFullName}.git`, answering 401 to any
 * request without `Authorization: basic base64(x-access-token:<token>)` — so a push through it proves the token
 * travelled as a header. It also serves the images pasted into issues, as github.com does for a private
 * repository at `${serverUrl}/user-attachments/assets/<id>`: to `Authorization: token <token>` only, else 404.
 */
export async function serveOverHttp(
  origin: Origin,
  opts: { token: string; repoFullName: string; assets?: Record<string, Buffer> },
): Promise<HttpOrigin> {
  const assetRequests: HttpOrigin['assetRequests'] = [];
  const header = (t: string) => `basic ${Buffer.from(`x-access-token:${t}`).toString('base64')}`;
  let expected = header(opts.token);
  const authorizations: Array<string | undefined> = [];
  const projectRoot = join(origin.root, 'http-root');
  await mkdir(join(projectRoot, dirname(opts.repoFullName)), { recursive: true });
  const { symlink } = await import('node:fs/promises');
  await symlink(origin.bareDir, join(projectRoot, `${opts.repoFullName}.git`)).catch(() => undefined);
  await git(origin.bareDir, ['config', 'http.receivepack', 'true']);
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization;
    authorizations.push(auth);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/user-attachments/')) {
      assetRequests.push({ path, authorization: auth });
      const body = opts.assets?.[path.slice('/user-attachments/assets/'.length)];
      if (!body || auth !== `token ${opts.token}`) return void res.writeHead(404).end('Not Found');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(body.length) });
      return void res.end(body);
    }
    if (auth?.toLowerCase() !== expected.toLowerCase()) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' });
      res.end('unauthorized');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: 'x-access-token',
        REMOTE_ADDR: '127.0.0.1',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headerDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const at = head.indexOf('\r\n\r\n');
      if (at < 0) return;
      headerDone = true;
      let status = 200;
      for (const line of head.subarray(0, at).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else if (k) res.setHeader(k, v);
      }
      res.writeHead(status);
      res.write(head.subarray(at + 4));
    });
    child.on('close', () => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const serverUrl = `http://127.0.0.1:${port}`;
  return {
    serverUrl,
    repoUrl: `${serverUrl}/${opts.repoFullName}.git`,
    authorizations,
    assetRequests,
    expect: (t) => {
      expected = header(t);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
