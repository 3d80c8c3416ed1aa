/** What every tool returns, and the helpers that cap and shape results. */

/** An image the model sees beside a result's text (a Read of a PNG, an MCP image content), already within the API's limits. */
export interface ToolImage {
  readonly mediaType: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  /** Base64 data. */
  readonly data: string;
}

export interface ToolResult {
  /** The text the model sees (masked for secrets by the toolbox). */
  content: string;
  isError: boolean;
  /** Images sent after the text in the same tool_result. */
  images?: readonly ToolImage[];
  /** Model requests the tool made on the run's account (WebSearch): the loop adds them to the run's usage and cost. */
  spent?: ToolSpend;
}

/** What a tool's own model requests used: counted in the run's figures and against max-cost-usd like a turn. */
export interface ToolSpend {
  readonly usage: {
    readonly input_tokens: number;
    readonly output_tokens: number;
    readonly cache_creation_input_tokens: number;
    readonly cache_read_input_tokens: number;
  };
  /** US dollars, server-side tool fees (web searches) included. */
  readonly costUsd: number;
  /** Server-side web searches run. */
  readonly webSearches?: number;
}

/** Cap on the characters of one tool result (about 30k), so one call cannot flood the context. */
export const MAX_RESULT_CHARS = 30_000;

/** A refusal or failure the model can act on: tool name first, then what was wrong and what to do. */
export class ToolError extends Error {
  override name = 'ToolError';
}

export function ok(content: string): ToolResult {
  return { content, isError: false };
}

export function fail(tool: string, message: string): ToolResult {
  return { content: `${tool}: ${message}`, isError: true };
}

/**
 * Keeps the first `max` characters of `text`, cut at a line end when one is near, and appends a note saying
 * what was cut and how to get it (`hint`).
 */
export function capText(text: string, hint: string, max = MAX_RESULT_CHARS): string {
  if (text.length <= max) return text;
  let cut = text.lastIndexOf('\n', max);
  if (cut < max * 0.8) cut = max;
  const kept = text.slice(0, cut);
  const restLines = countLines(text.slice(cut));
  return `${kept}\n[Output cut at ${cut} of ${text.length} characters (${restLines} more lines not shown). ${hint}]`;
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return s.endsWith('\n') || s.length === 0 ? n : n + 1;
}
