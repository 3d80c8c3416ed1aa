import * as core from '@actions/core';
import type { StatusBlock } from '../session/status.ts';
import { fenced, formatDuration, type RunFigures } from '../report/status-comment.ts';
import { renderPlan } from '../report/progress.ts';
import type { Todo } from '../session/todos.ts';

/**
 * The job summary: one table of figures, the run's notes, the agent's final plan (TodoWrite) when it kept one, and a
 * collapsed excerpt of the agent's last words.
 */
export async function writeJobSummary(
  agent: string,
  status: StatusBlock,
  figures: RunFigures,
  excerpt: string,
  redact: (s: string) => string,
  notes: readonly string[] = [],
  footer: readonly string[] = [],
  plan: readonly Todo[] = [],
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const u = figures.usage;
  const rows: [string, string][] = [
    ['Status', status.status],
    ['Summary', status.summary],
    ['Turns', String(figures.turns)],
    [
      'Tool calls',
      Object.entries(figures.toolCalls)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none',
    ],
    [
      'Tokens',
      `${u.input_tokens} in · ${u.output_tokens} out · ${u.cache_read_input_tokens} cache read · ${u.cache_creation_input_tokens} cache write`,
    ],
    ['Cost', `$${figures.costUsd.toFixed(4)}`],
    ['Duration', formatDuration(figures.durationMs)],
    ['Files changed', status.files.join(', ') || 'none'],
    ...footer.map((f): [string, string] => ['Used', f]),
    ...(status.blocker ? [['Blocker', status.blocker] as [string, string]] : []),
  ];
  const table = [
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`),
  ].join('\n');
  const noted = notes.map((n) => `- ${n.replace(/\n/g, ' ')}\n`).join('');
  const planned = plan.length ? `${renderPlan(plan)}\n\n` : '';
  const body = `## /${agent}: ${status.status}\n\n${table}\n\n${noted ? `${noted}\n` : ''}${planned}<details><summary>Run excerpt</summary>\n\n${fenced(excerpt.slice(-4000))}\n\n</details>\n`;
  await core.summary.addRaw(redact(body)).write();
}
