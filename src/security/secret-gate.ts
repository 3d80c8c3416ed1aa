// The secret gate: before anything is committed, the lines the run added (the workspace's changes, untracked files
// included, and the agent's own commits with their messages) are scanned for every secret the run holds — raw,
// URL-encoded, base64 at any byte alignment, hex — and with secretlint's recommended rules. A finding stops the
// commit and the push; the report names file, line and rule, never the value.
import { extname } from 'node:path';
import type { lintSource as LintSource } from '@secretlint/core';
import type { PendingChanges } from '../git/index.ts';
import type { StatusBlock } from '../session/status.ts';

/** One thing that must not be pushed. Never holds the value, nor any part of it. */
export interface Finding {
  /** Repository path; or a description when the path itself holds the secret, or for a commit's message. */
  readonly file: string;
  /** 1-based, in the file as the commit or the workspace has it; 0 when there is no line (a file name). */
  readonly line: number;
  /** `known secret (base64)`, `secretlint aws (AWSSecretAccessKey)`… */
  readonly rule: string;
  /** Set when the line is in one of the agent's own commits rather than in the workspace. */
  readonly commit?: string;
}

export interface FileChange {
  readonly file: string;
  readonly added: number;
  readonly removed: number;
  /** Holds a NUL byte in its first 8000 added bytes (git's own test): scanned for known secrets only. */
  readonly binary: boolean;
}

export interface ScanResult {
  readonly findings: Finding[];
  /** Every path the changes touch, with line counts summed over the commits and the workspace. */
  readonly files: FileChange[];
  /** What the secretlint rules did not read (binary files, bytes past a bound); known secrets are searched in all. */
  readonly skipped: string[];
  /** Added bytes searched for known secrets, and the part of them secretlint's rules read. */
  readonly scannedBytes: number;
  readonly lintedBytes: number;
  readonly ms: number;
}

export interface ScanLimits {
  /** Added text per file (per commit) the secretlint rules read; the rest is searched for known secrets only. */
  readonly lintBytesPerFile: number;
  /** Added text in all the rules read over one scan: bounds the time on a huge diff. */
  readonly lintBytesTotal: number;
  /** Findings kept per file, so a file full of hits does not make a report of thousands of lines. */
  readonly findingsPerFile: number;
}

export const DEFAULT_LIMITS: ScanLimits = {
  lintBytesPerFile: 1_000_000,
  lintBytesTotal: 32_000_000,
  findingsPerFile: 5,
};

/** A known secret shorter than this is not searched for: its forms would match ordinary text. */
export const MIN_SECRET_LENGTH = 8;
/** A file name that holds a secret is not printed. */
const WITHHELD_NAME = '(a file whose name holds a secret)';

interface Form {
  readonly form: string;
  readonly text: string;
  /** Matched case-insensitively (hex). `text` is lower case. */
  readonly caseless: boolean;
}

/**
 * The strings a secret travels as: raw, URL-encoded, hex (either case), and base64/base64url at each of the three
 * byte alignments — the part of the encoding that depends on the secret's bytes alone, so the base64 of
 * `token: <secret>\n` or of `x-access-token:<secret>` matches too.
 */
export function secretForms(secrets: readonly string[]): Form[] {
  const forms = new Map<string, Form>();
  const add = (form: string, text: string, caseless = false): void => {
    if (text.length >= MIN_SECRET_LENGTH && !forms.has(text)) forms.set(text, { form, text, caseless });
  };
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    const bytes = Buffer.from(secret);
    add('raw', secret);
    add('URL-encoded', encodeURIComponent(secret));
    add('hex', bytes.toString('hex'), true);
    for (const k of [0, 1, 2]) {
      const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
      // Characters carry 6 bits each: keep those whose bits all come from the secret, not the padding around it.
      const core = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
      add('base64', core);
      add('base64url', core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms.values()].sort((a, b) => b.text.length - a.text.length);
}

type Linter = (text: string, path: string) => ReturnType<typeof LintSource>;
let linter: Promise<Linter> | undefined;

/**
 * secretlint with its recommended rules, loaded on first use (a run that changes nothing never evaluates them: about
 * 25 ms of startup). The rule that lets a `secretlint-disable` comment in the scanned text silence the others is left
 * out, and the profiler is off: it keeps a performance mark per call in memory (3000 files made seconds of GC).
 */
function loadLinter(): Promise<Linter> {
  linter ??= (async () => {
    const [{ lintSource }, { secretLintProfiler }, { rules }] = await Promise.all([
      import('@secretlint/core'),
      import('@secretlint/profiler'),
      import('@secretlint/secretlint-rule-preset-recommend'),
    ]);
    secretLintProfiler.setEnabled(false);
    const kept = rules.filter((r) => r.meta.id !== '@secretlint/secretlint-rule-filter-comments');
    const config = { rules: kept.map((rule) => ({ id: rule.meta.id, rule })) };
    // A path under /dev/null cannot exist: the one rule that reads a file from disk (GCP .p12) finds nothing there,
    // while the rules that look at the name (.npmrc, package.json) and the extension still see them.
    return (text, path) =>
      lintSource({
        source: { content: text, filePath: `/dev/null/${path}`, ext: extname(path), contentType: 'text' },
        options: { config, maskSecrets: true, noPhysicFilePath: true },
      });
  })();
  return linter;
}

/** Added lines of one file in one commit (or the workspace), and where they are. */
export interface FileLines {
  readonly path: string;
  readonly commit?: string;
  /**
   * The added lines as the diff has them, each behind its `+`, joined by `\n` (the hunks one after the other). Kept
   * so rather than stripped: a form of a secret is found the same, and a 20 MB file is not copied (see addedText).
   */
  raw: string;
  /** Per hunk: its first line's index in `raw` (0-based), its first line number in the file (1-based), its count. */
  readonly hunks: Array<[at: number, line: number, count: number]>;
  added: number;
  removed: number;
}

/** The added lines without their `+`: those in the first `max` characters of `raw` (so at most `max` characters). */
export function addedText(f: FileLines, max = Infinity): string {
  const cut = f.raw.length > max ? f.raw.slice(0, max) : f.raw;
  return cut.replace(/^\+/gm, '');
}

/** The file's line number of `raw`'s 1-based line `n`. */
export function fileLine(f: FileLines, n: number): number {
  let lo = 0;
  let hi = f.hunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (f.hunks[mid]![0] <= n - 1) lo = mid;
    else hi = mid - 1;
  }
  const h = f.hunks[lo];
  return h ? h[1] + (n - 1 - h[0]) : n;
}

/** Reads a path as git prints it: `a/x` or a C-quoted `"a/\303\251\t"`. */
export function unquotePath(s: string): string {
  if (!s.startsWith('"')) return s;
  const bytes: number[] = [];
  const esc: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c));
      continue;
    }
    const n = s[++i]!;
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(esc[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `diff --git a/P b/P` (no renames: both sides are the same path) → P. */
function pathOfHeader(rest: string): string {
  if (rest.startsWith('"')) {
    let i = 1;
    while (i < rest.length && rest[i] !== '"') i += rest[i] === '\\' ? 2 : 1;
    return unquotePath(rest.slice(0, i + 1)).slice(2);
  }
  return rest.slice(2, 2 + (rest.length - 5) / 2);
}

/**
 * Walks a `-U0` unified diff (`git diff` or `git log -p`) and hands over each file's added lines. Hunk lines are
 * counted from the `@@` header, so an added line that reads like a header (`+diff --git …`, `commit …`) is never
 * taken for one. A hunk's added lines are cut out of the diff in one piece: a 20 MB file is not split line by line.
 */
export function* parseDiff(diff: string): Generator<FileLines> {
  let commit: string | undefined;
  let file: FileLines | undefined;
  const parts: string[] = [];
  const done = (): FileLines | undefined => {
    if (file) file.raw = parts.splice(0).join('\n');
    return file;
  };
  /** Where the line after the one starting at `at` starts. */
  const after = (at: number): number => {
    const nl = diff.indexOf('\n', at);
    return nl < 0 ? diff.length : nl + 1;
  };
  let pos = 0;
  while (pos < diff.length) {
    const next = after(pos);
    const line = diff.slice(pos, diff[next - 1] === '\n' ? next - 1 : next);
    pos = next;
    const hunk = file && line.startsWith('@@ ') ? /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line) : null;
    if (hunk && file) {
      let minus = hunk[1] === undefined ? 1 : Number(hunk[1]);
      let plus = hunk[3] === undefined ? 1 : Number(hunk[3]);
      for (; minus > 0 && diff[pos] === '-'; minus--) pos = after(pos);
      if (diff[pos] === '\\') pos = after(pos); // "\ No newline at end of file"
      file.removed += Number(hunk[1] ?? 1) - minus;
      const start = pos;
      let count = 0;
      for (; plus > 0 && diff[pos] === '+'; plus--, count++) pos = after(pos);
      if (!count) continue;
      parts.push(diff.slice(start, diff[pos - 1] === '\n' ? pos - 1 : pos));
      file.hunks.push([file.added, Number(hunk[2]), count]);
      file.added += count;
    } else if (line.startsWith('diff --git ')) {
      const ended = done();
      if (ended) yield ended;
      const path = pathOfHeader(line.slice('diff --git '.length));
      file = { path, ...(commit ? { commit } : {}), raw: '', hunks: [], added: 0, removed: 0 };
    } else if (/^commit [0-9a-f]{7,64}$/.test(line)) {
      const ended = done();
      if (ended) yield ended;
      file = undefined;
      commit = line.slice('commit '.length);
    }
  }
  const ended = done();
  if (ended) yield ended;
}

/** `text` with every form of a secret replaced by `***`. */
function mask(text: string, forms: readonly Form[]): string {
  let out = text;
  for (const f of forms) {
    const re = new RegExp(f.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), f.caseless ? 'gi' : 'g');
    out = out.replace(re, '***');
  }
  return out;
}

/**
 * Where in `text` (1-based lines) a known secret appears, first form per line, `max` lines at most. Lines are counted
 * as the search moves forward, and a line with a hit is left at once: linear in the text whatever it holds.
 */
function knownHits(text: string, forms: readonly Form[], max: number): Array<{ line: number; form: string }> {
  const hits = new Map<number, string>();
  let lower: string | undefined;
  for (const f of forms) {
    const hay = f.caseless ? (lower ??= text.toLowerCase()) : text;
    let counted = 0;
    let line = 1;
    for (let i = hay.indexOf(f.text); i >= 0 && hits.size < max; i = hay.indexOf(f.text, i)) {
      for (let nl = hay.indexOf('\n', counted); nl >= 0 && nl < i; nl = hay.indexOf('\n', nl + 1)) {
        line++;
        counted = nl + 1;
      }
      if (!hits.has(line)) hits.set(line, f.form);
      const eol = hay.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
    }
  }
  return [...hits].map(([line, form]) => ({ line, form }));
}

async function lintHits(text: string, path: string): Promise<Array<{ line: number; rule: string }>> {
  const result = await (await loadLinter())(text, path);
  return result.messages.map((m) => ({
    line: m.loc.start.line,
    rule: `secretlint ${m.ruleId.replace(/^@secretlint\/secretlint-rule-/, '')} (${m.messageId})`,
  }));
}

export interface ScanInput {
  readonly changes: PendingChanges;
  readonly knownSecrets: readonly string[];
  readonly limits?: Partial<ScanLimits>;
}

/** Scans the pending changes; pure apart from the clock. */
export async function scanChanges(input: ScanInput): Promise<ScanResult> {
  return (await scan(input)).result;
}

/** The scan, and (kept apart from the result, which is safe to print) the paths that hold a secret. */
async function scan({
  changes,
  knownSecrets,
  limits,
}: ScanInput): Promise<{ result: ScanResult; badNames: Set<string> }> {
  const started = Date.now();
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const forms = secretForms(knownSecrets);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const report = (f: Finding): void => {
    const key = `${f.commit ?? ''}\0${f.file}\0${f.line}\0${f.rule}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(f);
  };
  const files = new Map<string, { added: number; removed: number; binary: boolean }>();
  const skipped: string[] = [];
  let scannedBytes = 0;
  let lintBudget = lim.lintBytesTotal;

  // The names first: a path is pushed as surely as a line is.
  const paths = new Set<string>();
  const parsed = [...parseDiff(changes.history), ...parseDiff(changes.workspace)];
  for (const f of parsed) paths.add(f.path);
  const badNames = new Set<string>();
  const names = [...paths];
  const nameText = names.join('\n');
  for (const h of knownHits(nameText, forms, Infinity)) badNames.add(names[h.line - 1]!);
  for (const h of await lintHits(nameText, 'file-names.txt')) badNames.add(names[h.line - 1]!);
  if (badNames.size) report({ file: WITHHELD_NAME, line: 0, rule: plural(badNames.size, 'file name') });
  const shown = (path: string): string => (badNames.has(path) ? WITHHELD_NAME : path);

  for (const f of parsed) {
    const text = f.raw;
    const binary = text.slice(0, 8000).includes('\0');
    const counts = files.get(f.path) ?? { added: 0, removed: 0, binary: false };
    counts.added += f.added;
    counts.removed += f.removed;
    counts.binary ||= binary;
    files.set(f.path, counts);
    if (!text) continue;
    scannedBytes += text.length - f.added;
    const where = { file: shown(f.path), ...(f.commit ? { commit: f.commit } : {}) };
    const label = `${shown(f.path)}${f.commit ? ` (commit ${f.commit.slice(0, 7)})` : ''}`;
    let hits = 0;
    for (const h of knownHits(text, forms, lim.findingsPerFile)) {
      report({ ...where, line: fileLine(f, h.line), rule: `known secret (${h.form})` });
      hits++;
    }
    if (binary) {
      skipped.push(`${label}: binary, searched for known secrets only`);
      continue;
    }
    const room = Math.min(lim.lintBytesPerFile, lintBudget);
    if (room <= 0) {
      skipped.push(`${label}: past the ${lim.lintBytesTotal} bytes the rules read per scan, known secrets only`);
      continue;
    }
    const bytes = text.length - f.added; // without the `+` of each line
    const linted = addedText(f, room);
    if (linted.length < bytes) {
      skipped.push(`${label}: the rules read the first ${linted.length} of ${bytes} added bytes`);
    }
    lintBudget -= linted.length;
    for (const h of await lintHits(linted, f.path)) {
      if (hits++ >= lim.findingsPerFile) break;
      report({ ...where, line: fileLine(f, h.line), rule: h.rule });
    }
  }

  // The agent's own commits carry its author, committer and message text too.
  for (const c of changes.commits) {
    const file = `the message of commit ${c.sha.slice(0, 7)}`;
    scannedBytes += c.text.length;
    for (const h of knownHits(c.text, forms, lim.findingsPerFile)) {
      report({ file, line: h.line, rule: `known secret (${h.form})`, commit: c.sha });
    }
    for (const h of await lintHits(c.text, 'COMMIT_EDITMSG'))
      report({ file, line: h.line, rule: h.rule, commit: c.sha });
  }
  const lintedBytes = lim.lintBytesTotal - lintBudget;
  const changed = [...files]
    .map(([file, c]) => ({ file: shown(file), ...c }))
    .sort((a, b) => a.file.localeCompare(b.file));
  const result = { findings, files: changed, skipped, scannedBytes, lintedBytes, ms: Date.now() - started };
  return { result, badNames };
}

/** `NOTES.md:3 known secret (base64)`; `a.txt:12 in commit 1a2b3c4 secretlint aws (AWSSecretAccessKey)`. */
export function formatFinding(f: Finding): string {
  const at = f.line > 0 ? `${f.file}:${f.line}` : f.file;
  const short = f.commit?.slice(0, 7);
  return `${at}${short && !f.file.includes(short) ? ` in commit ${short}` : ''}: ${f.rule}`;
}

const LIST_MAX = 10;
const FILES_MAX = 40;

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function listed(items: readonly string[], max: number): string {
  const head = items.slice(0, max).join('; ');
  return items.length > max ? `${head}; and ${items.length - max} more` : head;
}

/** The BLOCKED report: the blocker names each finding (file, line, rule); the notes say what was left where. */
export function formatBlocked(result: ScanResult): { blocker: string; notes: string[] } {
  const n = result.findings.length;
  const blocker =
    `The secret gate found ${plural(n, 'likely secret')} in the changes, so nothing was committed or pushed: ` +
    `${listed(result.findings.map(formatFinding), LIST_MAX)}. Rotate any real credential among them; then ask again ` +
    'for the work without it (a test fixture can use an obvious placeholder instead).';
  const added = result.files.reduce((a, f) => a + f.added, 0);
  const removed = result.files.reduce((a, f) => a + f.removed, 0);
  const files = result.files.map((f) => `${f.file} (${f.binary ? 'binary' : `+${f.added} −${f.removed}`})`);
  const notes = [
    `Not committed: ${plural(result.files.length, 'file')} changed, +${added} −${removed} lines, ` +
      `left in the runner's workspace until the job ends: ${listed(files, FILES_MAX)}.`,
  ];
  if (result.skipped.length) notes.push(`Secret gate: ${listed(result.skipped, 5)}.`);
  return { blocker, notes };
}

export interface GateVerdict {
  /** True when the changes may be committed and pushed. */
  readonly pass: boolean;
  /** The run's STATUS after the gate: BLOCKED (findings) or ERROR (no scan), files shown safely; as is on a pass. */
  apply(status: StatusBlock): StatusBlock;
  readonly notes: string[];
  readonly result?: ScanResult;
}

export interface GateInput {
  readonly repo: { pendingChanges(exclude?: readonly string[]): Promise<PendingChanges> };
  /** Paths the commit will leave out (credential files): not scanned, since they are not published. */
  readonly exclude?: readonly string[];
  readonly knownSecrets: readonly string[];
  readonly log?: (message: string) => void;
  readonly limits?: Partial<ScanLimits>;
}

/**
 * The gate itself, for step 8: reads the pending changes, scans them, and says whether they may be committed.
 * Fails closed: a scan that cannot run blocks the commit too (as ERROR).
 */
export async function secretGate({ repo, knownSecrets, log, limits, exclude }: GateInput): Promise<GateVerdict> {
  let result: ScanResult;
  let badNames: Set<string>;
  try {
    ({ result, badNames } = await scan({ changes: await repo.pendingChanges(exclude), knownSecrets, limits }));
  } catch (e) {
    // The reason can name a path, and a path can hold a secret: its forms are masked like the redactor's.
    const why = mask(e instanceof Error ? e.message.split('\n')[0]! : String(e), secretForms(knownSecrets));
    const blocker = `the secret gate could not scan the changes (${why}), so nothing was committed or pushed`;
    const notes = [`The changes stay in the runner's workspace until the job ends.`];
    return { pass: false, notes, apply: (s) => ({ ...s, status: 'ERROR', blocker }) };
  }
  log?.(
    `Secret gate: ${result.files.length} files, ${result.scannedBytes} added bytes searched for ` +
      `${knownSecrets.filter((k) => k.length >= MIN_SECRET_LENGTH).length} known secrets, ${result.lintedBytes} read ` +
      `by the secretlint rules, ${result.findings.length} findings, ${result.ms} ms.`,
  );
  if (!result.findings.length) return { pass: true, notes: [], result, apply: (s) => s };
  const { blocker, notes } = formatBlocked(result);
  return {
    pass: false,
    notes,
    result,
    apply: (s) => ({
      ...s,
      status: 'BLOCKED',
      blocker:
        s.blocker && s.status !== 'COMPLETE' ? `${blocker} (Before the gate: ${s.status}, ${s.blocker}.)` : blocker,
      files: s.files.map((f) => (badNames.has(f) ? WITHHELD_NAME : f)),
    }),
  };
}
