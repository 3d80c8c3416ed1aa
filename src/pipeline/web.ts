/**
 * The pipeline's side of WebFetch and WebSearch: WebSearch's way to the model API (the run's client and model, so its
 * requests are priced like the run's own turns), and the STATUS footer line of what the web tools did.
 */
import type { Provider } from '../constants.ts';
import type { ModelClient } from '../model/client.ts';
import { costUsd, type ModelInfo } from '../model/models.ts';
import type { ToolResult, WebSearchBackend } from '../tools/index.ts';

/**
 * WebSearch's backend: a request on the run's client and model. Amazon Bedrock has no server-side web search, so
 * there the tool says so instead of spending a request to learn it; on Vertex AI and the Anthropic API it is tried,
 * and an API that refuses the tool is reported by the tool.
 */
export function webSearchBackend(provider: Provider, model: ModelInfo, client: Promise<ModelClient>): WebSearchBackend {
  if (provider === 'bedrock') return { unavailable: 'Amazon Bedrock does not offer the server-side web search tool' };
  return {
    async ask(request, signal) {
      const c = await client;
      const message = await c.messages.stream({ ...request, model: model.id }, { signal }).finalMessage();
      const u = message.usage;
      return {
        message,
        spent: {
          usage: {
            input_tokens: u.input_tokens ?? 0,
            output_tokens: u.output_tokens ?? 0,
            cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
            cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
          },
          costUsd: costUsd(model, u),
          webSearches: u.server_tool_use?.web_search_requests ?? 0,
        },
      };
    },
  };
}

export interface WebUse {
  /** Called with every tool call the loop reports. */
  record(call: { name: string; input: unknown; result: ToolResult }): void;
  /** The footer line, e.g. "web: 2 fetches (docs.python.org), 1 search"; none when the web tools were not used. */
  lines(): string[];
}

const SHOWN_HOSTS = 5;

export function webUse(): WebUse {
  const hosts = new Set<string>();
  let fetches = 0;
  let failed = 0;
  let searchCalls = 0;
  let searches = 0;
  return {
    record({ name, input, result }) {
      if (name === 'WebFetch') {
        fetches++;
        if (result.isError) failed++;
        else hosts.add(hostOf((input as { url?: unknown } | null)?.url));
      } else if (name === 'WebSearch') {
        searchCalls++;
        searches += result.spent?.webSearches ?? 0;
      }
    },
    lines() {
      const parts: string[] = [];
      if (fetches) {
        const shown = [...hosts].filter(Boolean);
        const list = shown.slice(0, SHOWN_HOSTS).join(', ') + (shown.length > SHOWN_HOSTS ? ', …' : '');
        const notes = [list, failed ? `${failed} failed or refused` : ''].filter(Boolean).join('; ');
        parts.push(`${fetches} ${fetches === 1 ? 'fetch' : 'fetches'}${notes ? ` (${notes})` : ''}`);
      }
      if (searchCalls) {
        const billed =
          searches === searchCalls ? '' : ` (${searches} web ${searches === 1 ? 'search' : 'searches'} billed)`;
        parts.push(`${searchCalls} ${searchCalls === 1 ? 'search' : 'searches'}${billed}`);
      }
      return parts.length ? [`web: ${parts.join(', ')}`] : [];
    },
  };
}

function hostOf(url: unknown): string {
  try {
    return typeof url === 'string' ? new URL(url).hostname : '';
  } catch {
    return '';
  }
}
