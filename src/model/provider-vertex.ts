// Google Vertex AI's client, loaded only for provider vertex. Apart from provider.ts so that the bundle can ship it
// (with google-auth-library) as a file of its own; like provider-bedrock.ts it reports problems instead of throwing
// UserError, and provider.ts words them.
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { GoogleAuth, OAuth2Client, type AuthClient } from 'google-auth-library';
import type { ModelClient } from './client.ts';

export interface VertexSettings {
  readonly region: string;
  /** From the environment; when absent, asked of the credentials. */
  readonly projectId?: string;
  /** undefined = the SDK's endpoint for the region. */
  readonly baseURL?: string;
  readonly maxRetries: number;
  /** A ready OAuth access token (not refreshed); without it Application Default Credentials. */
  readonly token?: string;
}

export async function vertexSdkClient(
  s: VertexSettings,
): Promise<{ client: ModelClient } | { problem: 'credentials' | 'project'; detail: string }> {
  // Always hand the SDK an auth client: left to itself it starts an ADC lookup in its constructor whose failure is an
  // unhandled rejection that ends the process; and its `accessToken` option is stored but never sent (1.1.3).
  let authClient: AuthClient;
  let projectId = s.projectId;
  if (s.token) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: s.token });
    authClient = client;
  } else {
    // A known project is handed in: left to find it, an external_account client asks Cloud Resource Manager.
    const auth = new GoogleAuth({
      scopes: 'https://www.googleapis.com/auth/cloud-platform',
      ...(projectId ? { projectId } : {}),
    });
    try {
      authClient = await auth.getClient();
    } catch (e) {
      return { problem: 'credentials', detail: e instanceof Error ? e.message : String(e) };
    }
    projectId ||= await auth.getProjectId().catch(() => undefined);
  }
  if (!projectId) return { problem: 'project', detail: '' };
  return {
    client: new AnthropicVertex({
      region: s.region,
      projectId,
      authClient,
      maxRetries: s.maxRetries,
      ...(s.baseURL ? { baseURL: s.baseURL } : {}),
    }),
  };
}
