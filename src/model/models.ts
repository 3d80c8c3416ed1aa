import type Anthropic from '@anthropic-ai/sdk';
import { UserError } from '../errors.ts';

/** US dollars per million tokens. `cacheWrite` is the 5-minute cache write, the only one the loop uses. */
export interface Prices {
  readonly input: number;
  readonly output: number;
  readonly cacheWrite: number;
  readonly cacheRead: number;
}

export type ModelTier = 'opus' | 'sonnet' | 'haiku' | 'fable' | 'mythos' | 'unknown';

export interface ModelInfo {
  /** What was asked for: an alias (`sonnet[1m]`) or a full id. */
  readonly spec: string;
  /** The id sent to the API. */
  readonly id: string;
  readonly tier: ModelTier;
  /** The window the loop works within (it clears old tool results before reaching it). */
  readonly contextWindow: number;
  readonly maxOutput: number;
  readonly prices: Prices;
  /** Prices that apply instead when one request's prompt (input + cache write + cache read) exceeds `above` tokens. */
  readonly longPrompt?: Prices & { readonly above: number };
  /** Set when the figures are guessed (an id this table does not know). */
  readonly warning?: string;
}

/** Token counts as the API reports them (the cache counters may be absent or null) or as the loop sums them. */
type Usage = Pick<Anthropic.Messages.Usage, 'input_tokens' | 'output_tokens'> &
  Partial<Pick<Anthropic.Messages.Usage, 'cache_creation_input_tokens' | 'cache_read_input_tokens'>> & {
    server_tool_use?: Pick<Anthropic.Messages.ServerToolUsage, 'web_search_requests'> | null;
  };

/** US dollars per server-side web search ($10 per 1000, the same for every model; platform.claude.com pricing). */
export const WEB_SEARCH_USD = 10 / 1000;

interface ModelFigures {
  readonly tier: ModelTier;
  readonly contextWindow: number;
  readonly maxOutput: number;
  readonly prices: Prices;
  readonly longPrompt?: Prices & { readonly above: number };
}

const K = 1_000;
const M = 1_000_000;
/**
 * The window the plain aliases work within. The 5.x models take 1M natively; the plain aliases stay at 200K so the
 * loop clears old tool results early and each turn stays cheap; the `[1m]` aliases open the full window.
 */
const STANDARD_WINDOW = 200 * K;

/**
 * Figures from platform.claude.com "models overview" pages as of Nov 2026.
 * Sonnet 5.5 and Haiku 5.5 input/output/5m-cache-write/cache-read are documented; Opus 5.5 input/output are
 * documented, its cache prices are derived with the documented ratios (write 1.25×, read 0.1× input).
 * Haiku 5.5 is priced by prompt size (≤ 100K tokens / above); its long-prompt cache prices are derived the same way.
 * Older ids: documented input/output, cache prices derived with the same ratios.
 */
const MODELS: Readonly<Record<string, ModelFigures>> = {
  'claude-opus-5-5': { tier: 'opus', contextWindow: M, maxOutput: 128 * K, prices: p(4, 20) },
  'claude-sonnet-5-5': { tier: 'sonnet', contextWindow: M, maxOutput: 128 * K, prices: p(2, 10) },
  'claude-haiku-5-5': {
    tier: 'haiku',
    contextWindow: M,
    maxOutput: 128 * K,
    prices: p(0.1, 0.5),
    longPrompt: { above: 100 * K, ...p(0.5, 2.5) },
  },
  'claude-fable-5-2': { tier: 'fable', contextWindow: M, maxOutput: 128 * K, prices: p(8, 40) },
  'claude-fable-5-1': { tier: 'fable', contextWindow: M, maxOutput: 128 * K, prices: p(10, 50) },
  'claude-opus-5': { tier: 'opus', contextWindow: M, maxOutput: 128 * K, prices: p(5, 25) },
  'claude-sonnet-5': { tier: 'sonnet', contextWindow: M, maxOutput: 128 * K, prices: p(2, 10) },
  'claude-sonnet-4-6': { tier: 'sonnet', contextWindow: 200 * K, maxOutput: 64 * K, prices: p(3, 15) },
  'claude-sonnet-4-5': { tier: 'sonnet', contextWindow: 200 * K, maxOutput: 64 * K, prices: p(3, 15) },
  'claude-haiku-4-5': { tier: 'haiku', contextWindow: 200 * K, maxOutput: 64 * K, prices: p(1, 5) },
};

/** Aliases an agent file or the `model` input may use. */
const ALIASES: Readonly<Record<string, { id: string; contextWindow?: number }>> = {
  opus: { id: 'claude-opus-5-5', contextWindow: STANDARD_WINDOW },
  sonnet: { id: 'claude-sonnet-5-5', contextWindow: STANDARD_WINDOW },
  haiku: { id: 'claude-haiku-5-5', contextWindow: STANDARD_WINDOW },
  'opus[1m]': { id: 'claude-opus-5-5' },
  'sonnet[1m]': { id: 'claude-sonnet-5-5' },
};

export const MODEL_ALIASES: readonly string[] = Object.keys(ALIASES);

/**
 * Guesses for ids this table does not know, per tier. Conservative: the highest price seen in the tier, and windows
 * no larger than every model of the tier has, so budgets trip early rather than late.
 */
const UNKNOWN_TIER: Readonly<Record<ModelTier, ModelFigures>> = {
  opus: { tier: 'opus', contextWindow: 200 * K, maxOutput: 32 * K, prices: p(15, 75) },
  sonnet: { tier: 'sonnet', contextWindow: 200 * K, maxOutput: 32 * K, prices: p(3, 15) },
  haiku: { tier: 'haiku', contextWindow: 200 * K, maxOutput: 32 * K, prices: p(1, 5) },
  fable: { tier: 'fable', contextWindow: 200 * K, maxOutput: 32 * K, prices: p(10, 50) },
  mythos: { tier: 'mythos', contextWindow: 200 * K, maxOutput: 32 * K, prices: p(25, 125) },
  unknown: { tier: 'unknown', contextWindow: 200 * K, maxOutput: 32 * K, prices: p(25, 125) },
};

function p(input: number, output: number): Prices {
  return { input, output, cacheWrite: input * 1.25, cacheRead: input / 10 };
}

/**
 * The model to use: `spec` (an agent file's `model`, or the `model` input) when given and not `inherit`, else
 * `fallback`. Aliases come from the table; full ids (`claude-…`) pass through, with guessed figures and a `warning`
 * when the table does not know them. A `[1m]` suffix on a full id opens a 1M window.
 */
export function resolveModel(spec: string | undefined, fallback: string): ModelInfo {
  const trimmed = spec?.trim();
  const chosen = trimmed && trimmed.toLowerCase() !== 'inherit' ? trimmed : fallback.trim();
  const key = chosen.toLowerCase();

  const alias = ALIASES[key];
  if (alias) {
    const figures = MODELS[alias.id]!;
    return info(key, alias.id, figures, alias.contextWindow);
  }

  if (key.startsWith('claude-')) {
    const oneM = key.endsWith('[1m]');
    const id = oneM ? key.slice(0, -'[1m]'.length) : key;
    const known = MODELS[id] ?? MODELS[id.replace(/-\d{8}$/, '')];
    if (known) return info(chosen, id, known, oneM ? M : known.contextWindow);
    const tier = tierOf(id);
    const guess = UNKNOWN_TIER[tier];
    const warning =
      `Model "${id}" is not in this action's model table: cost and context figures are guesses ` +
      `(${tier} tier, $${guess.prices.input}/$${guess.prices.output} per million tokens, ${guess.contextWindow / K}K window).`;
    return { ...info(chosen, id, guess, oneM ? M : guess.contextWindow), warning };
  }

  throw new UserError(
    `Unknown model "${chosen}". Use one of the aliases ${MODEL_ALIASES.join(', ')} or a full model id starting with "claude-".`,
  );
}

/**
 * The model of a run: the `model` input when set (an unknown one is the workflow author's typo: an error), else the
 * agent file's `model`, else `fallback`. A file's model that is no alias or id this action knows (`model: fable`,
 * a Copilot or Gemini model name) does not stop the agent: `fallback` is used and `unknownFileModel` says so.
 */
export function resolveRunModel(
  input: string | undefined,
  fileModel: string | undefined,
  fallback: string,
): { model: ModelInfo; unknownFileModel?: string } {
  if (input?.trim()) return { model: resolveModel(input, fallback) };
  try {
    return { model: resolveModel(fileModel, fallback) };
  } catch (e) {
    if (!(e instanceof UserError) || !fileModel) throw e;
    return { model: resolveModel(fallback, fallback), unknownFileModel: fileModel.trim() };
  }
}

function info(spec: string, id: string, f: ModelFigures, contextWindow = f.contextWindow): ModelInfo {
  return {
    spec,
    id,
    tier: f.tier,
    contextWindow,
    maxOutput: f.maxOutput,
    prices: f.prices,
    ...(f.longPrompt ? { longPrompt: f.longPrompt } : {}),
  };
}

function tierOf(id: string): ModelTier {
  for (const tier of ['opus', 'sonnet', 'haiku', 'fable', 'mythos'] as const) {
    if (id.includes(tier)) return tier;
  }
  return 'unknown';
}

/**
 * Cost in US dollars of ONE request's usage, its server-side web searches included. Call it per response and sum: prices that depend on the prompt size
 * (`longPrompt`) are chosen from this request's prompt, so a summed usage would be over-priced.
 */
export function costUsd(model: ModelInfo, usage: Usage): number {
  const input = usage.input_tokens || 0;
  const output = usage.output_tokens || 0;
  const cacheWrite = usage.cache_creation_input_tokens || 0;
  const cacheRead = usage.cache_read_input_tokens || 0;
  const prompt = input + cacheWrite + cacheRead;
  const pr = model.longPrompt && prompt > model.longPrompt.above ? model.longPrompt : model.prices;
  const searches = usage.server_tool_use?.web_search_requests || 0;
  return (
    (input * pr.input + output * pr.output + cacheWrite * pr.cacheWrite + cacheRead * pr.cacheRead) / M +
    searches * WEB_SEARCH_USD
  );
}
