// Amazon Bedrock's client, loaded only for provider bedrock. It lives apart from provider.ts so that the bundle can
// ship it (with the AWS SDK, ~1.4 MB) as a file of its own; it throws no UserError (a second copy of that class in
// another file would fail `instanceof`), it reports what is missing and provider.ts words the error.
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { createCredentialChain, fromEnv, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { ModelClient } from './client.ts';

export interface BedrockSettings {
  readonly region: string;
  readonly baseURL: string;
  readonly maxRetries: number;
  /** A Bedrock API key (AWS_BEARER_TOKEN_BEDROCK), sent as Bearer instead of SigV4. */
  readonly bearer?: string;
  /** Static AWS keys; without them (and without `bearer`) the AWS default chain. */
  readonly keys?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

export async function bedrockSdkClient(
  s: BedrockSettings,
): Promise<{ client: ModelClient } | { noCredentials: string }> {
  const common = { awsRegion: s.region, baseURL: s.baseURL, maxRetries: s.maxRetries };
  if (s.bearer) return { client: new AnthropicBedrock({ ...common, apiKey: s.bearer }) };
  if (s.keys) {
    return {
      client: new AnthropicBedrock({
        ...common,
        apiKey: null, // null, not undefined: the SDK would otherwise read AWS_BEARER_TOKEN_BEDROCK from process.env
        awsAccessKey: s.keys.accessKeyId,
        awsSecretKey: s.keys.secretAccessKey,
        awsSessionToken: s.keys.sessionToken ?? null,
      }),
    };
  }
  // The chain the SDK itself would use (environment, profiles, web identity, container and instance roles), resolved
  // once now: "no credentials" then fails the run up front instead of as a retried connection error on the first turn.
  const provider = createCredentialChain(fromEnv(), fromNodeProviderChain());
  try {
    await provider();
  } catch (e) {
    return { noCredentials: e instanceof Error ? e.message : String(e) };
  }
  return {
    client: new AnthropicBedrock({ ...common, apiKey: null, providerChainResolver: () => Promise.resolve(provider) }),
  };
}
