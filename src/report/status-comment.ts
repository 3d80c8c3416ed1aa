import type { StatusBlock } from '../session/status.ts';
import { formatStatus } from '../session/status.ts';

export interface RunFigures {
  readonly turns: number;
  readonly toolCalls: Readonly<Record<string, number>>;
  readonly usage: {
    readonly input_tokens: number;
    readonly output_tokens: number;
    readonly cache_read_input_tokens: number;
    readonly cache_creation_input_tokens: number;
  };
  readonly costUsd: number;
  readonly durationMs: number;
}

export interface StatusCommentInput {
  readonly agent: string;
  readonly status: StatusBlock;
  /** Files the agent claimed that differ from what git saw; shown as a note. */
  readonly claimedFiles?: readonly string[];
  readonly fileUrl: (path: string) => string;
  readonly figures: RunFigures;
  readonly runUrl: string;
  readonly branch?: string;
  readonly prUrl?: string;
  readonly notes?: readonly string[];
  /** Small-print lines above the figures (what the run used: delegations, unavailable tools, MCP servers). */
  readonly footer?: readonly string[];
  readonly verifyOutput?: string;
}

const ICON = { COMPLETE: '✅', BLOCKED: '⛔', WAITING: '❓', ERROR: '❌' } as const;

/** A fence longer than any backtick run in the text, so model output cannot close it early. */
export function fenced(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function figuresLine(f: RunFigures): string {
  const tools = Object.entries(f.toolCalls)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const u = f.usage;
  return (
    `${f.turns} turns · tools: ${tools || 'none'} · tokens: ${u.input_tokens} in, ${u.output_tokens} out, ` +
    `${u.cache_read_input_tokens} cache read, ${u.cache_creation_input_tokens} cache write · ` +
    `$${f.costUsd.toFixed(4)} · ${formatDuration(f.durationMs)}`
  );
}

/** The final report: the STATUS block verbatim, then what a human needs to act on it. */
export function renderStatusComment(i: StatusCommentInput): string {
  const s = i.status;
  const lines = [`### ${ICON[s.status]} \`/${i.agent}\`: ${s.status}`, '', fenced(formatStatus(s)), ''];
  if (s.status === 'WAITING') {
    const question = s.blocker || s.next || s.summary;
    lines.push(
      '> [!IMPORTANT]',
      `> **The agent is waiting for an answer:** ${question.replace(/\n/g, '\n> ')}`,
      `>`,
      `> Reply with \`/${i.agent} <your answer>\` to continue${i.branch ? ` on \`${i.branch}\`` : ''}.`,
      '',
    );
  }
  lines.push(`**Summary:** ${s.summary}`);
  if (s.files.length) lines.push(`**Files:** ${s.files.map((f) => `[${f}](${i.fileUrl(f)})`).join(', ')}`);
  if (s.next) lines.push(`**Next:** ${s.next}`);
  if (s.blocker && s.status !== 'WAITING') lines.push(`**Blocker:** ${s.blocker}`);
  if (i.claimedFiles) {
    lines.push(`_The agent reported FILES: ${i.claimedFiles.join(', ') || 'none'}; the list above is what git saw._`);
  }
  for (const n of i.notes ?? []) lines.push(`_${n}_`);
  if (i.verifyOutput)
    lines.push(
      '',
      '<details><summary>verify-command output (tail)</summary>',
      '',
      fenced(i.verifyOutput),
      '',
      '</details>',
    );
  lines.push('');
  if (i.prUrl) lines.push(`Pull request: ${i.prUrl}`);
  for (const f of i.footer ?? []) lines.push(`<sub>${f}</sub><br>`);
  lines.push(`<sub>${figuresLine(i.figures)} · [run](${i.runUrl})</sub>`);
  return lines.join('\n');
}
