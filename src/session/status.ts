import { STATUSES, type Status } from '../constants.ts';

/** The block every agent run ends with. */
export interface StatusBlock {
  status: Status;
  summary: string;
  files: string[];
  /** Suggested follow-up. */
  next?: string;
  /** Why the work stopped (BLOCKED, ERROR), or the question the humans must answer (WAITING). */
  blocker?: string;
}

type Key = 'STATUS' | 'SUMMARY' | 'FILES' | 'NEXT' | 'BLOCKER';

interface Line {
  key?: Key;
  value: string;
  /** The line was a list item (`- x`, `* x`, `1. x`). */
  item: boolean;
  blank: boolean;
}

const KEY_NAMES: ReadonlyArray<[RegExp, Key]> = [
  [/^status$/i, 'STATUS'],
  [/^summary$/i, 'SUMMARY'],
  [/^(files?|files? changed|changed files)$/i, 'FILES'],
  [/^(next|next steps?)$/i, 'NEXT'],
  [/^(blocker|blockers|blocked by)$/i, 'BLOCKER'],
];

const NO_FILES = /^(none|n\/a|na|nil|no files?( changed)?|nothing|-+|—|–|\(none\)|\[\]|)$/i;

/**
 * Reads the STATUS block from an agent's text. Tolerates code fences, bold/italics, headings, quotes, bullets, tables,
 * any case and spacing, FILES as a comma string or as a list on the following lines. The last block wins.
 * Returns null when there is no block, its status word is not one of COMPLETE/BLOCKED/WAITING/ERROR (including the
 * unfilled template `COMPLETE | BLOCKED | …`), or SUMMARY is missing or empty.
 */
export function parseStatus(text: string): StatusBlock | null {
  const lines = text.split(/\r?\n/).map(readLine);
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.key === 'STATUS') {
      start = i;
      break;
    }
  }
  if (start < 0) return null;

  const status = statusWord(lines[start]!.value);
  if (!status) return null;

  const fields: Partial<Record<Key, string>> = {};
  const files: string[] = [];
  let current: Key | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.key) {
      if (fields[line.key] !== undefined) break; // a second SUMMARY etc.: the block is over
      current = line.key;
      fields[current] = line.value;
      if (current === 'FILES') files.push(...splitFiles(line.value));
      continue;
    }
    if (line.blank) {
      // A blank line ends a field's continuation, but a FILES list may start after "FILES:" and a blank line.
      if (!(current === 'FILES' && files.length === 0 && fields.FILES === '')) current = undefined;
      continue;
    }
    if (!current) continue;
    if (current === 'FILES') {
      // Continuation of FILES: list items or bare paths; a sentence right after the block is not a file.
      if (line.item || !/\s/.test(line.value)) files.push(...splitFiles(line.value));
    } else fields[current] = join(fields[current], line.value);
  }

  const summary = clean(fields.SUMMARY ?? '');
  if (!summary) return null;
  const block: StatusBlock = { status, summary, files: dedupe(files) };
  const next = optional(fields.NEXT);
  const blocker = optional(fields.BLOCKER);
  if (next) block.next = next;
  if (blocker) block.blocker = blocker;
  return block;
}

/** The canonical block: STATUS, SUMMARY, FILES (`none` when empty), then NEXT and BLOCKER when present. */
export function formatStatus(block: StatusBlock): string {
  const lines = [
    `STATUS: ${block.status}`,
    `SUMMARY: ${collapseSpace(block.summary)}`,
    `FILES: ${block.files.length ? block.files.join(', ') : 'none'}`,
  ];
  if (block.next) lines.push(`NEXT: ${collapseSpace(block.next)}`);
  if (block.blocker) lines.push(`BLOCKER: ${collapseSpace(block.blocker)}`);
  return lines.join('\n');
}

function readLine(raw: string): Line {
  let s = raw.trim();
  if (/^(```|~~~)/.test(s)) return { value: '', item: false, blank: true };
  // Table row: `| STATUS | COMPLETE |` → `STATUS: COMPLETE`; the separator row is blank.
  if (s.startsWith('|')) {
    const cells = s
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
    if (cells.every((c) => /^:?-*:?$/.test(c))) return { value: '', item: false, blank: true };
    if (cells.length === 2) s = `${cells[0]}: ${cells[1]}`;
  }
  s = s.replace(/^(>\s*)+/, ''); // quotes
  s = s.replace(/^#{1,6}\s+/, ''); // headings
  let item = false;
  const bullet = /^([-*+•]|\d+[.)])\s+/.exec(s);
  if (bullet) {
    item = true;
    s = s.slice(bullet[0].length);
  }
  if (s === '') return { value: '', item, blank: !item };

  // `**STATUS:** X`, `**STATUS**: X`, `_Status_ - X`, `` `STATUS: X` ``, `STATUS = X`
  const m = /^[*_`~]*\s*([a-z][a-z ]*?)\s*[*_`~]*\s*(?::|=|\s[-–—]\s|[-–—](?=\s))\s*[*_`~]*(.*)$/i.exec(s);
  if (m) {
    const name = m[1]!.trim();
    for (const [re, key] of KEY_NAMES) {
      if (re.test(name)) return { key, value: stripEmphasis(m[2]!), item, blank: false };
    }
  }
  return { value: s, item, blank: false };
}

function statusWord(value: string): Status | null {
  const words = value.toUpperCase().match(/[A-Z]+/g) ?? [];
  // The unfilled template `COMPLETE | BLOCKED | WAITING | ERROR` names more than one.
  if (new Set(words.filter((w) => isStatus(w))).size > 1) return null;
  const first = words[0];
  return first !== undefined && isStatus(first) ? first : null;
}

function isStatus(word: string): word is Status {
  return (STATUSES as readonly string[]).includes(word);
}

function splitFiles(value: string): string[] {
  const v = stripEmphasis(value);
  if (NO_FILES.test(v)) return [];
  return v
    .split(/[,;]/)
    .map((f) =>
      stripEmphasis(f)
        .replace(/^["'`]+|["'`]+$/g, '')
        .replace(/\s+\([^)]*\)$/, '') // `src/a.ts (new)`
        .replace(/\s+[-–—]\s.*$/, '') // `src/a.ts — added the route`
        .replace(/^["'`]+|["'`]+$/g, '')
        .trim(),
    )
    .filter((f) => f !== '' && !NO_FILES.test(f));
}

function stripEmphasis(s: string): string {
  return s
    .trim()
    .replace(/^[*_`]+(?=\S)/, '')
    .replace(/(?<=\S)[*_`]+$/, '')
    .trim();
}

function clean(s: string): string {
  return stripEmphasis(collapseSpace(s));
}

function optional(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const v = clean(s);
  return NO_FILES.test(v) ? undefined : v;
}

function join(a: string | undefined, b: string): string {
  return a ? `${a} ${b}` : b;
}

function collapseSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}
