/**
 * Credential files the run can name, found before the agent starts: every file tool refuses them, Bash's sandbox
 * covers them, their secret values join the redactor, and none is ever committed.
 *
 * Where they come from:
 * - Files named by the action's environment. Exact names (GOOGLE_APPLICATION_CREDENTIALS, AWS_WEB_IDENTITY_TOKEN_FILE,
 *   KUBECONFIG — a path list —, DOCKER_CONFIG and CARGO_HOME — folders holding one —, …) and the rule
 *   `*_{CREDENTIAL(S),CREDS,TOKEN,KEY,SECRET,PASSWORD,PASSWD}_{FILE,PATH}`: a variable so named points at a secret.
 *   Only regular files are taken (a folder is never hidden whole, so a stray `X_KEY_PATH=.` cannot hide the workspace).
 * - Well-known names in the workspace (bounded walk, see SCAN_*) and at fixed places in HOME: `gha-creds-*.json`
 *   (google-github-actions/auth), `.git-credentials`, cargo's `credentials(.toml)` under `.cargo`, gcloud's
 *   application-default credentials, and — only when they hold a literal secret — `.npmrc`, `.pypirc`, `.netrc`,
 *   `.yarnrc.yml`, `.docker/config.json`. A `.npmrc` with registry settings or `_authToken=${NPM_TOKEN}` (a reference,
 *   not a secret) is an ordinary project file and stays readable.
 *
 * Found once, before the work branch is checked out: a credential file that only exists on the work branch is the
 * repository's own content, not a secret of this run.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';

export interface CredentialFiles {
  /** Real absolute paths of the credential files (regular files only). */
  readonly paths: string[];
  /** Secret values inside them (each at least MIN_SECRET chars), for the redactor and the runner's log masking. */
  readonly secrets: string[];
  /** Why each path was taken, e.g. 'named by GOOGLE_APPLICATION_CREDENTIALS', by path. */
  readonly reasons: ReadonlyMap<string, string>;
  /** True when the workspace walk stopped at SCAN_MAX_ENTRIES before seeing everything. */
  readonly truncated: boolean;
  /** Directory entries the workspace walk looked at. */
  readonly scanned: number;
}

export interface FindOptions {
  /** Absolute path of the checkout. */
  readonly workspace: string;
  /** The HOME whose well-known files are checked (not walked); undefined skips HOME. */
  readonly home?: string;
  /** The action's environment. */
  readonly env: NodeJS.ProcessEnv;
  readonly maxDepth?: number;
  readonly maxEntries?: number;
  readonly log?: (message: string) => void;
}

/** The workspace walk goes this deep (the root is depth 0) … */
export const SCAN_MAX_DEPTH = 6;
/** … and looks at this many directory entries at most (a 20k-file checkout is walked in well under a second). */
export const SCAN_MAX_ENTRIES = 50_000;
/** Folders never walked: dependencies, VCS internals, caches — nothing a workflow step writes credentials into. */
const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.gradle',
  'bower_components',
  '.terraform',
]);
/** Files bigger than this are still hidden when named, but not parsed for secrets. */
const MAX_PARSE_BYTES = 1024 * 1024;
/** The whole content of a credential file up to this size is a secret of its own (catches `cat`, `base64 -w0`). */
const MAX_WHOLE_SECRET = 16 * 1024;
/** Shorter values are not masked: they would garble ordinary words. */
export const MIN_SECRET = 8;

export type Kind = 'json' | 'netrc' | 'text';

/** Exact variable names that hold a credential file's path. */
const ENV_FILES = [
  'GOOGLE_APPLICATION_CREDENTIALS',
  'CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE',
  'GOOGLE_GHA_CREDS_PATH',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AZURE_FEDERATED_TOKEN_FILE',
  'NETRC',
];
/** Named config files that are credential files only when they hold a literal secret. */
const ENV_CONDITIONAL = ['NPM_CONFIG_USERCONFIG', 'npm_config_userconfig', 'PIP_CONFIG_FILE', 'AWS_CONFIG_FILE'];
/** Path lists. */
const ENV_LISTS = ['KUBECONFIG'];
/** Folders, with the credential files inside them. */
const ENV_DIRS: Readonly<Record<string, readonly string[]>> = {
  DOCKER_CONFIG: ['config.json'],
  CARGO_HOME: ['credentials.toml', 'credentials'],
};
/** The naming rule for any other variable. */
const ENV_RULE = /(?:^|_)(?:CREDENTIALS?|CREDS|TOKEN|KEY|SECRET|PASSWORD|PASSWD)_(?:FILE|PATH)$/i;

/** Fixed places under HOME (besides the well-known names at its top level). */
const HOME_FILES = [
  '.docker/config.json',
  '.cargo/credentials.toml',
  '.cargo/credentials',
  '.config/gcloud/application_default_credentials.json',
  '.config/gcloud/credentials.db',
  '.aws/credentials',
  '.kube/config',
  '.config/gh/hosts.yml',
];

/** How a file found by name is judged: always a credential file, or only with a literal secret inside. */
interface Pattern {
  readonly kind: Kind;
  readonly always: boolean;
}

/** Well-known credential file names; `parent` is the name of the folder holding the file. */
function patternOf(name: string, parent: string): Pattern | null {
  if (/^gha-creds-[\w.-]*\.json$/i.test(name)) return { kind: 'json', always: true };
  if (name === 'application_default_credentials.json') return { kind: 'json', always: true };
  if (name === '.git-credentials') return { kind: 'text', always: true };
  if (parent === '.cargo' && /^credentials(\.toml)?$/.test(name)) return { kind: 'text', always: true };
  if (name === 'credentials.toml') return { kind: 'text', always: false };
  if (parent === '.aws' && name === 'credentials') return { kind: 'text', always: true };
  if (parent === '.docker' && name === 'config.json') return { kind: 'json', always: false };
  if (name === '.netrc' || name === '_netrc') return { kind: 'netrc', always: false };
  if (['.npmrc', '.pypirc', '.yarnrc.yml', '.yarnrc.yaml'].includes(name)) return { kind: 'text', always: false };
  if (parent === 'gh' && name === 'hosts.yml') return { kind: 'text', always: false };
  return null;
}

export async function findCredentialFiles(opts: FindOptions): Promise<CredentialFiles> {
  const found = new Map<string, { reason: string; secrets: string[] }>();
  const workspace = await realpath(opts.workspace).catch(() => path.resolve(opts.workspace));
  // `within`: a file found by its name in a folder is followed through a symlink only inside that folder, so a
  // repository cannot make the action hide (and Bash's sandbox cover) an arbitrary system file.
  const consider = async (p: string, reason: string, pattern: Pattern, within?: string): Promise<void> => {
    const real = await regularFile(p);
    if (!real || found.has(real) || (within && !real.startsWith(within + path.sep))) return;
    const secrets = await secretsOfFile(real, pattern);
    if (!pattern.always && secrets.length === 0) return;
    found.set(real, { reason, secrets });
  };

  // 1. Named by the environment.
  const env = opts.env;
  const resolveIn = (v: string) => path.resolve(workspace, v);
  const usable = (v: string | undefined): v is string => !!v && v.length < 4096 && !v.includes('\0');
  for (const [name, value] of Object.entries(env)) {
    if (!usable(value)) continue;
    const why = `named by ${name}`;
    const kindOf = (p: string): Kind =>
      /^[._]netrc$/.test(path.basename(p)) ? 'netrc' : p.endsWith('.json') ? 'json' : 'text';
    if (ENV_LISTS.includes(name)) {
      for (const part of value.split(path.delimiter).filter(Boolean)) {
        await consider(resolveIn(part), why, { kind: 'text', always: true });
      }
    } else if (ENV_DIRS[name]) {
      for (const f of ENV_DIRS[name]) {
        const p = path.join(resolveIn(value), f);
        await consider(p, why, patternOf(f, path.basename(path.dirname(p))) ?? { kind: kindOf(p), always: true });
      }
    } else if (ENV_CONDITIONAL.includes(name)) {
      await consider(resolveIn(value), why, { kind: kindOf(value), always: false });
    } else if (ENV_FILES.includes(name) || ENV_RULE.test(name)) {
      await consider(resolveIn(value), why, { kind: kindOf(value), always: true });
    }
  }

  // 2. Well-known names in HOME: its top level, and fixed places below it. HOME is never walked (it can be huge).
  if (opts.home) {
    const home = await realpath(opts.home).catch(() => path.resolve(opts.home!));
    const why = 'a well-known credential file in HOME';
    for (const e of await readdir(home, { withFileTypes: true }).catch(() => [])) {
      const pattern = patternOf(e.name, path.basename(home));
      if (pattern && (e.isFile() || e.isSymbolicLink())) await consider(path.join(home, e.name), why, pattern, home);
    }
    for (const rel of HOME_FILES) {
      const p = path.join(home, rel);
      const pattern = patternOf(path.basename(p), path.basename(path.dirname(p))) ?? {
        kind: 'text',
        always: !rel.endsWith('.yml'),
      };
      await consider(p, why, pattern, home);
    }
  }

  // 3. Well-known names in the workspace: a bounded walk that follows no folder symlink.
  const maxDepth = opts.maxDepth ?? SCAN_MAX_DEPTH;
  const maxEntries = opts.maxEntries ?? SCAN_MAX_ENTRIES;
  let scanned = 0;
  let truncated = false;
  const hits: Array<{ p: string; pattern: Pattern }> = [];
  let level = [workspace];
  for (let depth = 0; depth <= maxDepth && level.length && !truncated; depth++) {
    const next: string[] = [];
    // One level at a time, its folders read together: the walk is bound by syscalls, not by JavaScript.
    const listings = await Promise.all(
      level.map((d) =>
        readdir(d, { withFileTypes: true }).then(
          (es) => ({ d, es }),
          () => ({ d, es: [] }),
        ),
      ),
    );
    for (const { d, es } of listings) {
      if (scanned + es.length > maxEntries) {
        truncated = true;
        break;
      }
      scanned += es.length;
      for (const e of es) {
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) next.push(path.join(d, e.name));
        } else if (e.isFile() || e.isSymbolicLink()) {
          const pattern = patternOf(e.name, path.basename(d));
          if (pattern) hits.push({ p: path.join(d, e.name), pattern });
        }
      }
    }
    level = next;
  }
  if (!truncated && level.length) truncated = true; // folders left below maxDepth
  for (const h of hits) await consider(h.p, 'a well-known credential file in the workspace', h.pattern, workspace);

  const paths = [...found.keys()].sort();
  const secrets = [...new Set([...found.values()].flatMap((f) => f.secrets))];
  const reasons = new Map([...found].map(([p, f]) => [p, f.reason]));
  if (paths.length) {
    opts.log?.(`Credential files hidden from the agent: ${paths.map((p) => `${p} (${reasons.get(p)})`).join(', ')}.`);
  }
  if (truncated) {
    opts.log?.(
      `The scan for credential files stopped at ${scanned} entries / depth ${maxDepth}; deeper files were not checked.`,
    );
  }
  return { paths, secrets, reasons, truncated, scanned };
}

/**
 * The changed files (workspace-relative, as git lists them) that are credential files: they are left out of the
 * commit. Compared by real path, so a changed path spelled through a symlinked folder still matches.
 */
export async function credentialChanges(
  changed: readonly string[],
  workspace: string,
  paths: readonly string[],
): Promise<string[]> {
  if (!paths.length) return [];
  const hidden = new Set(paths);
  const root = await realpath(workspace).catch(() => path.resolve(workspace));
  const out: string[] = [];
  for (const rel of changed) {
    const abs = path.join(root, rel);
    const real = await realpath(abs).catch(() => abs);
    if (hidden.has(abs) || hidden.has(real)) out.push(rel);
  }
  return out;
}

/**
 * Splits the changed files into what may be committed and the credential files left out (with the note the STATUS
 * comment carries). An agent can un-ignore a credential file (edit .gitignore); it is still never committed.
 */
export async function leaveOutCredentials(
  changed: readonly string[],
  workspace: string,
  paths: readonly string[],
): Promise<{ changed: string[]; excluded: string[]; note: string | null }> {
  const excluded = await credentialChanges(changed, workspace, paths);
  if (!excluded.length) return { changed: [...changed], excluded, note: null };
  const one = excluded.length === 1;
  const note =
    `${excluded.join(', ')} ${one ? 'is a credential file' : 'are credential files'} of this run and ${one ? 'was' : 'were'} ` +
    `left out of the commit (credential files are never committed; ${one ? 'it stays' : 'they stay'} in the runner's workspace).`;
  return { changed: changed.filter((f) => !excluded.includes(f)), excluded, note };
}

/** The real path when `p` is (or links to) a regular file, else null. */
async function regularFile(p: string): Promise<string | null> {
  try {
    const real = await realpath(p);
    const st = await stat(real);
    return st.isFile() ? real : null;
  } catch {
    return null;
  }
}

async function secretsOfFile(real: string, pattern: Pattern): Promise<string[]> {
  const st = await lstat(real).catch(() => null);
  if (!st || st.size > MAX_PARSE_BYTES) return [];
  const text = await readFile(real, 'utf8').catch(() => '');
  return secretsIn(text, pattern.kind, pattern.always);
}

// ------------------------------------------------------------------------------------------------- secret values

/** Keys whose values are secrets, by how the key ends (JSON, INI, TOML, YAML, .npmrc alike). */
const SECRET_KEY =
  /(?:secret|secret[-_]?key|password|passwd|token|private[-_]?key|authorization|auth|authident|api[-_]?key|access[-_]?key|key[-_]?data)$/i;
/** A value that refers to a secret instead of holding one: ${NPM_TOKEN}, $TOKEN, <your token>. */
const REFERENCE = /\$\{[^}]*\}|^\$[A-Za-z_]\w*$|^<[^>]*>$/;
/** user:password@ in a URL. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/([^/\s:@]*):([^/\s@]+)@/gi;
const PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----([\s\S]*?)-----END [A-Z0-9 ]*PRIVATE KEY-----/g;

/**
 * The secret values in a credential file's text. `kind` says how to read it: JSON (string values of secret-looking
 * keys, at any depth), netrc (`password` tokens), or text (key = value / key: value lines with secret-looking keys,
 * URL passwords, PEM private keys). The whole content is a secret too when it is small. `tokenFile`: the file is known
 * to be a credential (named by a variable, or a well-known name), so a bare token as its whole content is a secret.
 */
export function secretsIn(text: string, kind: Kind, tokenFile = false): string[] {
  const out = new Set<string>();
  const add = (raw: string): void => addSecret(out, raw);
  let parsed = false;
  if (kind === 'json') {
    try {
      walkJson(JSON.parse(text) as unknown, '', add);
      parsed = true;
    } catch {
      // not JSON after all: read as text
    }
  }
  if (!parsed) {
    for (const m of text.matchAll(PEM)) add(m[0]);
    if (kind === 'netrc') {
      const words = text.split(/\s+/);
      words.forEach((w, i) => (w === 'password' && words[i + 1] ? add(words[i + 1]!) : undefined));
    }
    for (const line of text.split(/\r?\n/)) {
      // `key = value` (INI, TOML, .npmrc, whose keys hold ':') or `key: value` (YAML): both splits are tried.
      for (const sep of ['=', ':']) {
        const at = line.indexOf(sep);
        if (at <= 0) continue;
        const key = line
          .slice(0, at)
          .trim()
          .replace(/^["'-]\s*|["']$/g, '');
        if (key && !/^[#;]/.test(key) && SECRET_KEY.test(key)) add(unquote(line.slice(at + 1).trim()));
      }
    }
    for (const m of text.matchAll(URL_CREDENTIALS)) {
      add(m[2]!);
      add(safeDecode(m[2]!));
    }
  }
  const whole = text.trim();
  // A file named as a credential that holds one bare token (a JWT in AWS_WEB_IDENTITY_TOKEN_FILE) is that secret.
  if (tokenFile && out.size === 0 && whole.length >= 16 && /^[\w.~+/=-]+$/.test(whole)) add(whole);
  // A small credential file is a secret as a whole too: `cat` or `base64 -w0` of it is then masked in one piece.
  if (out.size && whole.length <= MAX_WHOLE_SECRET) out.add(whole);
  return [...out];
}

function walkJson(v: unknown, key: string, add: (s: string) => void): void {
  if (typeof v === 'string') {
    if (SECRET_KEY.test(key)) add(v);
  } else if (Array.isArray(v)) {
    for (const x of v) walkJson(x, key, add);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) walkJson(x, k, add);
  }
}

/**
 * Adds a secret value and the forms it hides in: the token of `Bearer <token>`, the password of `user:password`,
 * the decoded text of base64 (npm's `_auth`/`_password`, docker's `auth`), each PEM body line (a key printed JSON-
 * escaped has `\n` where the raw value has newlines, so only its lines match).
 */
function addSecret(out: Set<string>, raw: string, depth = 0): void {
  const v = raw.trim();
  if (v.length < MIN_SECRET || REFERENCE.test(v) || /^(true|false|null|\d+)$/i.test(v)) return;
  if (/^https?:\/\/[^@\s]*$/i.test(v)) return; // a plain URL (token_uri and the like) is not a secret
  out.add(v);
  if (depth > 1) return;
  if (v.includes('\n')) {
    for (const line of v.split(/\r?\n/))
      if (line.trim().length >= 16 && !line.startsWith('-----')) out.add(line.trim());
    return;
  }
  const scheme = /^(?:bearer|basic|token)\s+(\S+)$/i.exec(v);
  if (scheme) addSecret(out, scheme[1]!, depth + 1);
  const colon = v.indexOf(':');
  if (colon > 0 && !v.includes('/') && !/\s/.test(v)) addSecret(out, v.slice(colon + 1), depth + 1);
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0) {
    const decoded = Buffer.from(v, 'base64').toString('utf8');
    if (/^[\x20-\x7e]+$/.test(decoded)) addSecret(out, decoded, depth + 1);
  }
}

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.indexOf(q, 1) > 0) return v.slice(1, v.indexOf(q, 1));
  return v.replace(/\s+[#;].*$/, '');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
