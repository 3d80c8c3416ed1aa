/**
 * WebSearch, with Claude Code's name and schema (`query`, `allowed_domains`, `blocked_domains`), done the way Claude
 * Code does it: one Messages API request of its own that forces the API's server-side web search tool
 * (`web_search_20250305`, the version every provider that has web search offers, at most 8 searches), then the
 * result titles, URLs and the model's text, returned to the agent. The results are restricted to the run's
 * `allowed-domains` (intersected with the call's `allowed_domains`, see web-policy.ts searchDomains).
 *
 * The request goes through a function the pipeline gives (`ask`): the tools layer knows no model client. Its tokens,
 * and $10 per 1000 searches, come back as the result's `spent`, which the loop adds to the run's usage and cost.
 */
import type Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod/mini';
import { abortReason, errorMessage, httpStatus } from '../errors.ts';
import { fail, ok, ToolError, type ToolSpend } from './result.ts';
import { defineTool, type Tool } from './schema.ts';
import { searchDomains, webAllowlist } from './web-policy.ts';

/** One search request as the tool builds it; `ask` adds the model. */
export type WebSearchRequest = Omit<Anthropic.Messages.MessageStreamParams, 'model'>;

/** Sends one request on the run's model and account; `spent` is what it used, priced. */
export type WebSearchAsk = (
  request: WebSearchRequest,
  signal?: AbortSignal,
) => Promise<{ message: Anthropic.Messages.Message; spent: ToolSpend }>;

/** How WebSearch reaches the API, or why it cannot (e.g. 'Amazon Bedrock does not offer the web search tool'). */
export type WebSearchBackend = { readonly ask: WebSearchAsk } | { readonly unavailable: string };

export const WEB_SEARCH_TOOL_TYPE = 'web_search_20250305';
/** Searches one call may run, as in Claude Code. */
export const MAX_SEARCHES_PER_CALL = 8;
/** A long server-side turn may pause; it is resumed at most this many times. */
const MAX_CONTINUATIONS = 3;

export interface WebSearchOptions {
  /** The run's `allowed-domains`: empty → the default registries; `*` any domain; `none` no network. */
  allowedDomains?: readonly string[];
  backend?: WebSearchBackend;
}

const input = z.strictObject({
  query: z.string().check(z.describe('The search query to use')),
  allowed_domains: z.optional(z.array(z.string()).check(z.describe('Only include search results from these domains'))),
  blocked_domains: z.optional(z.array(z.string()).check(z.describe('Never include search results from these domains'))),
});

export function webSearchTool(opts: WebSearchOptions = {}): Tool {
  const allowed = webAllowlist(opts.allowedDomains);
  return defineTool({
    name: 'WebSearch',
    description:
      "Searches the web and returns result titles and URLs with a short answer. Results come only from the run's " +
      'allowed-domains. Each search costs $0.01, counted in the run. Read-only.',
    input,
    readOnly: true,
    async run(call, ctx) {
      const backend = opts.backend;
      if (!backend) throw new ToolError('web search is not available in this run (no model client for it).');
      if ('unavailable' in backend) throw new ToolError(`web search is not available here: ${backend.unavailable}.`);
      const query = call.query.trim();
      if (query.length < 2) throw new ToolError('the query must be at least 2 characters.');
      if (call.allowed_domains?.length && call.blocked_domains?.length)
        throw new ToolError('give allowed_domains or blocked_domains, not both in the same call.');
      if (!allowed) throw new ToolError('the network is off for this run (allowed-domains: none).');
      const tool = searchTool(allowed, call.allowed_domains, call.blocked_domains);
      const spent: ToolSpend[] = [];
      try {
        const messages: Anthropic.Messages.MessageParam[] = [
          { role: 'user', content: `Perform a web search for the query: ${query}` },
        ];
        const content: Anthropic.Messages.ContentBlock[] = [];
        for (let i = 0; ; i++) {
          const { message, spent: s } = await backend.ask(
            {
              max_tokens: 4096,
              system: 'You are an assistant for performing a web search tool use',
              messages,
              tools: [tool],
              tool_choice: { type: 'tool', name: 'web_search' },
            },
            ctx.signal,
          );
          spent.push(s);
          content.push(...message.content);
          if (message.stop_reason !== 'pause_turn' || i >= MAX_CONTINUATIONS) break;
          messages.push({ role: 'assistant', content: message.content as Anthropic.Messages.ContentBlockParam[] });
        }
        return { ...ok(formatResults(query, tool, content)), spent: total(spent) };
      } catch (e) {
        if (ctx.signal?.aborted) throw abortReason(ctx.signal);
        const result = fail('WebSearch', failure(e));
        return spent.length ? { ...result, spent: total(spent) } : result;
      }
    },
  });
}

/** The server tool's definition for this call: the run's allowlist and the call's domains combined. */
function searchTool(
  run: readonly string[],
  allowedDomains: readonly string[] | undefined,
  blockedDomains: readonly string[] | undefined,
): Anthropic.Messages.WebSearchTool20250305 {
  const base = { type: WEB_SEARCH_TOOL_TYPE, name: 'web_search', max_uses: MAX_SEARCHES_PER_CALL } as const;
  const domains = searchDomains(run, allowedDomains);
  if (domains === null) return blockedDomains?.length ? { ...base, blocked_domains: [...blockedDomains] } : base;
  // The API takes one of the two lists: a blocked domain is taken out of the allowed ones instead.
  const blocked = (blockedDomains ?? []).map((d) => d.trim().toLowerCase());
  const kept = domains.filter((d) => !blocked.some((b) => d === b || d.endsWith(`.${b}`)));
  if (!kept.length) {
    throw new ToolError(
      allowedDomains?.length
        ? `none of allowed_domains (${allowedDomains.join(', ')}) is within the run's allowed-domains (${run.join(', ')}); search within those.`
        : `every domain of the run's allowed-domains is in blocked_domains; nothing is left to search.`,
    );
  }
  return { ...base, allowed_domains: kept };
}

function formatResults(
  query: string,
  tool: Anthropic.Messages.WebSearchTool20250305,
  content: readonly Anthropic.Messages.ContentBlock[],
): string {
  const out = [`Web search results for query: "${query}"`];
  if (tool.allowed_domains) out.push(`(results limited to: ${tool.allowed_domains.join(', ')})`);
  let text = '';
  const flush = (): void => {
    if (text.trim()) out.push(text.trim());
    text = '';
  };
  for (const block of content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'web_search_tool_result') {
      flush();
      if (!Array.isArray(block.content)) out.push(`Web search error: ${block.content.error_code}`);
      else if (!block.content.length) out.push('Links: none found.');
      else out.push(`Links: ${JSON.stringify(block.content.map((r) => ({ title: r.title, url: r.url })))}`);
    }
  }
  flush();
  return out.join('\n\n');
}

/** What the model is told when the request failed. */
function failure(e: unknown): string {
  if (e instanceof ToolError) return e.message;
  const status = httpStatus(e);
  const message = errorMessage(e);
  if (status === 400 && /web[_ ]search|server[_ ]tool|tool type|not supported/i.test(message))
    return `web search is not available with this provider or model: the API answered "${message}".`;
  return `the search request failed${status ? ` (HTTP ${status})` : ''}: ${message}`;
}

function total(parts: readonly ToolSpend[]): ToolSpend {
  const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  let costUsd = 0;
  let webSearches = 0;
  for (const p of parts) {
    usage.input_tokens += p.usage.input_tokens;
    usage.output_tokens += p.usage.output_tokens;
    usage.cache_creation_input_tokens += p.usage.cache_creation_input_tokens;
    usage.cache_read_input_tokens += p.usage.cache_read_input_tokens;
    costUsd += p.costUsd;
    webSearches += p.webSearches ?? 0;
  }
  return { usage, costUsd, webSearches };
}
