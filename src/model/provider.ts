// Where the model runs: the Anthropic API, Amazon Bedrock or Google Vertex AI. Each provider's SDK is loaded only when
// that provider is chosen (provider-bedrock.ts / provider-vertex.ts, imported on demand), so an anthropic run never
// loads AWS or Google code. The loop and the cost figures keep the Anthropic model ids; the client returned here maps
// them to the provider's ids on the wire. Settings and credentials are read from `env`, except what the AWS default
// chain and Google ADC read by nature (process.env, profiles, GOOGLE_APPLICATION_CREDENTIALS, metadata servers).
import type { Provider } from '../constants.ts';
import { UserError } from '../errors.ts';

/** What the loop needs of a model client: `messages.stream(params, { signal })`. */
export type { ModelClient } from './client.ts';
import type { ModelClient } from './client.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ModelClientOptions {
  readonly provider: Provider;
  /** The Anthropic API key; used by provider anthropic only. */
  readonly apiKey: string;
  /**
   * The Anthropic API root ('' = the SDK's default); provider anthropic only. Bedrock and Vertex take theirs from
   * ANTHROPIC_BEDROCK_BASE_URL / ANTHROPIC_VERTEX_BASE_URL (the SDKs' own variables), else the provider's endpoint.
   */
  readonly baseUrl: string;
  /** Overrides AWS_REGION / AWS_DEFAULT_REGION (bedrock) or CLOUD_ML_REGION (vertex). */
  readonly region?: string;
  /** Vertex only: overrides ANTHROPIC_VERTEX_PROJECT_ID / GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT / CLOUDSDK_CORE_PROJECT. */
  readonly projectId?: string;
  /** Where settings and credentials are read from (the action passes process.env). */
  readonly env: Env;
  /** The SDK's HTTP retries. Default 2. */
  readonly maxRetries?: number;
}

/**
 * Provider ids of the models the table in models.ts knows.
 * Bedrock ids are global cross-region inference profiles (`global.` prefix): recent Claude models cannot be invoked
 * on demand by their bare `anthropic.` id.
 * Sources (Nov 2026):
 * - claude-haiku-5-5: `anthropic.claude-haiku-5-5` (+ `us.` profile) on Bedrock and `claude-haiku-5-5` on Vertex, per
 *   vercel/ai's release notes adding it (@ai-sdk/amazon-bedrock 4.0.192, @ai-sdk/google-vertex 4.0.211).
 * - claude-opus-5: `global.anthropic.claude-opus-5` on Bedrock, `claude-opus-5` on Vertex (andisearch/airun v2.6.2,
 *   models.dev PR #3706): the 5.x generation dropped the `-YYYYMMDD-v1:0` / `@YYYYMMDD` suffixes.
 * - claude-sonnet-4-5, claude-haiku-4-5: Google's "use Claude" page (`@date` ids); Bedrock ids of the same dates with
 *   `-v1:0`, as in the Bedrock model lists.
 * - INFERRED, not found documented: claude-opus-5-5, claude-sonnet-5-5, the fable ids, claude-sonnet-5 and the
 *   `global.` profile of claude-haiku-5-5 follow the claude-opus-5 pattern above; claude-sonnet-4-6 follows
 *   `anthropic.claude-sonnet-4-6` without a date. Check them against the providers' model catalogues when they list them.
 */
const PROVIDER_IDS: Readonly<Record<string, { readonly bedrock: string; readonly vertex: string }>> = {
  'claude-opus-5-5': { bedrock: 'global.anthropic.claude-opus-5-5', vertex: 'claude-opus-5-5' },
  'claude-sonnet-5-5': { bedrock: 'global.anthropic.claude-sonnet-5-5', vertex: 'claude-sonnet-5-5' },
  'claude-haiku-5-5': { bedrock: 'global.anthropic.claude-haiku-5-5', vertex: 'claude-haiku-5-5' },
  'claude-fable-5-2': { bedrock: 'global.anthropic.claude-fable-5-2', vertex: 'claude-fable-5-2' },
  'claude-fable-5-1': { bedrock: 'global.anthropic.claude-fable-5-1', vertex: 'claude-fable-5-1' },
  'claude-opus-5': { bedrock: 'global.anthropic.claude-opus-5', vertex: 'claude-opus-5' },
  'claude-sonnet-5': { bedrock: 'global.anthropic.claude-sonnet-5', vertex: 'claude-sonnet-5' },
  'claude-sonnet-4-6': { bedrock: 'global.anthropic.claude-sonnet-4-6', vertex: 'claude-sonnet-4-6' },
  'claude-sonnet-4-5': {
    bedrock: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    vertex: 'claude-sonnet-4-5@20250929',
  },
  'claude-haiku-4-5': {
    bedrock: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
    vertex: 'claude-haiku-4-5@20251001',
  },
};

/** A Bedrock model id, inference profile or ARN (already the provider's own spelling). */
const BEDROCK_NATIVE = /^(?:arn:|(?:[a-z-]+\.)?anthropic\.)/;
const DATED = /^(claude-.+)-(\d{8})$/;

/**
 * The id a provider knows `modelId` (an Anthropic id, as models.ts resolves it) by. Ids already in the provider's
 * spelling pass through; ids the table does not know follow the provider's pattern: Bedrock
 * `global.anthropic.<id>` (a dated id gets `-v1:0`), Vertex `<name>@<date>` for a dated id, else the id itself.
 */
export function providerModelId(provider: Provider, modelId: string): string {
  if (provider === 'anthropic') return modelId;
  const known = PROVIDER_IDS[modelId];
  if (known) return known[provider];
  if (provider === 'bedrock') {
    if (BEDROCK_NATIVE.test(modelId)) return modelId;
    return `global.anthropic.${modelId}${DATED.test(modelId) ? '-v1:0' : ''}`;
  }
  if (modelId.includes('@')) return modelId;
  const dated = DATED.exec(modelId);
  if (dated) return `${dated[1]}@${dated[2]}`;
  return modelId;
}

/** Values to mask in logs for this provider's credentials (the auth actions mask theirs too; this covers the rest). */
export function providerSecrets(provider: Provider, env: Env): string[] {
  const names =
    provider === 'bedrock'
      ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK']
      : provider === 'vertex'
        ? ['ANTHROPIC_VERTEX_ACCESS_TOKEN']
        : [];
  return names.map((n) => env[n]?.trim() ?? '').filter(Boolean);
}

/**
 * The settings a provider cannot run without, checked from the environment alone (no network, no SDK loaded), so a
 * run fails before it spends anything. Throws UserError naming the variable or input to set.
 */
export function checkProviderSettings(o: ModelClientOptions): void {
  if (o.provider === 'anthropic') {
    if (!o.apiKey) {
      throw new UserError(
        "Input 'anthropic-api-key' is empty: add `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` to the step's `with:` and store the key as a repository secret.",
      );
    }
    return;
  }
  if (o.provider === 'bedrock') {
    bedrockRegion(o);
    const access = read(o.env, 'AWS_ACCESS_KEY_ID');
    const secret = read(o.env, 'AWS_SECRET_ACCESS_KEY');
    if (!read(o.env, 'AWS_BEARER_TOKEN_BEDROCK') && Boolean(access) !== Boolean(secret)) {
      throw new UserError(
        `provider bedrock: ${access ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} is not set while ${access ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is. ` +
          'Set both, or use aws-actions/configure-aws-credentials before this step.',
      );
    }
    return;
  }
  vertexRegion(o);
}

/**
 * A client for `o.provider`, its credentials resolved now (a missing one is a UserError naming what to set, not a
 * connection error on the first turn). Bedrock: AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key), else
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (what aws-actions/configure-aws-credentials exports),
 * else the AWS default chain (profile, web identity, container or instance role), signed with SigV4.
 * Vertex: ANTHROPIC_VERTEX_ACCESS_TOKEN (this action's variable; a token that is not refreshed, ~1 h), else Google
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, which google-github-actions/auth exports; refreshed).
 */
export async function createModelClient(o: ModelClientOptions): Promise<ModelClient> {
  checkProviderSettings(o);
  const maxRetries = o.maxRetries ?? 2;
  if (o.provider === 'anthropic') {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    return new Anthropic({ apiKey: o.apiKey, baseURL: o.baseUrl || null, maxRetries });
  }
  if (o.provider === 'bedrock') return mapModelIds('bedrock', await bedrockClient(o, maxRetries));
  return mapModelIds('vertex', await vertexClient(o, maxRetries));
}

async function bedrockClient(o: ModelClientOptions, maxRetries: number): Promise<ModelClient> {
  const region = bedrockRegion(o);
  const accessKeyId = read(o.env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = read(o.env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = read(o.env, 'AWS_SESSION_TOKEN');
  const bearer = read(o.env, 'AWS_BEARER_TOKEN_BEDROCK');
  const { bedrockSdkClient } = await import('./provider-bedrock.ts');
  const r = await bedrockSdkClient({
    region,
    baseURL: read(o.env, 'ANTHROPIC_BEDROCK_BASE_URL') ?? `https://bedrock-runtime.${region}.amazonaws.com`,
    maxRetries,
    ...(bearer ? { bearer } : {}),
    ...(accessKeyId && secretAccessKey
      ? { keys: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  });
  if ('client' in r) return r.client;
  throw new UserError(
    'provider bedrock: no AWS credentials found. Add aws-actions/configure-aws-credentials before this step (it sets ' +
      'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN), or set AWS_BEARER_TOKEN_BEDROCK to a Bedrock API key. ' +
      `(${r.noCredentials})`,
  );
}

async function vertexClient(o: ModelClientOptions, maxRetries: number): Promise<ModelClient> {
  const region = vertexRegion(o);
  const projectId = o.projectId || firstOf(o.env, PROJECT_VARS);
  const baseURL = read(o.env, 'ANTHROPIC_VERTEX_BASE_URL');
  const token = read(o.env, 'ANTHROPIC_VERTEX_ACCESS_TOKEN');
  const { vertexSdkClient } = await import('./provider-vertex.ts');
  const r = await vertexSdkClient({
    region,
    maxRetries,
    ...(projectId ? { projectId } : {}),
    ...(baseURL ? { baseURL } : {}),
    ...(token ? { token } : {}),
  });
  if ('client' in r) return r.client;
  if (r.problem === 'credentials') {
    throw new UserError(
      'provider vertex: no Google credentials found. Add google-github-actions/auth before this step (it sets ' +
        'GOOGLE_APPLICATION_CREDENTIALS), or set ANTHROPIC_VERTEX_ACCESS_TOKEN to an OAuth access token. ' +
        `(${r.detail})`,
    );
  }
  throw new UserError(
    'provider vertex: no Google Cloud project. Set ANTHROPIC_VERTEX_PROJECT_ID or GOOGLE_CLOUD_PROJECT ' +
      '(google-github-actions/auth sets it when it knows the project).',
  );
}

const PROJECT_VARS = ['ANTHROPIC_VERTEX_PROJECT_ID', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'CLOUDSDK_CORE_PROJECT'];

function bedrockRegion(o: ModelClientOptions): string {
  const region = o.region || firstOf(o.env, ['AWS_REGION', 'AWS_DEFAULT_REGION']);
  if (!region) {
    throw new UserError(
      'provider bedrock: no AWS region. Set AWS_REGION (aws-actions/configure-aws-credentials sets it from its `aws-region` input).',
    );
  }
  return region;
}

function vertexRegion(o: ModelClientOptions): string {
  const region = o.region || read(o.env, 'CLOUD_ML_REGION');
  if (!region) {
    throw new UserError(
      "provider vertex: no region. Set CLOUD_ML_REGION in the step's `env:` (e.g. `global` or `us-east5`).",
    );
  }
  return region;
}

function read(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

function firstOf(env: Env, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = read(env, n);
    if (v) return v;
  }
  return undefined;
}

/** The provider SDK's client behind the loop's interface, with the loop's Anthropic model ids mapped to the provider's. */
function mapModelIds(provider: Provider, client: ModelClient): ModelClient {
  const stream = ((params: { model: string }, options?: unknown) =>
    client.messages.stream(
      { ...params, model: providerModelId(provider, params.model) } as never,
      options as never,
    )) as ModelClient['messages']['stream'];
  return { messages: { stream } };
}
