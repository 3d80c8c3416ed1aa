import type Anthropic from '@anthropic-ai/sdk';

/**
 * What the agent loop needs of a model client: the SDK's streaming Messages call, `messages.stream(params, { signal })`
 * (any provider). It lives here, below the loop, so the providers and the replay need not import the session.
 */
export interface ModelClient {
  messages: Pick<Anthropic['messages'], 'stream'>;
}
