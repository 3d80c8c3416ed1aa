// A loopback stand-in for the Anthropic Messages API (POST /v1/messages), spoken to by the real @anthropic-ai/sdk.
// It answers from a script of turns, streams them the way the API does (SSE split at arbitrary byte positions),
// injects faults, emulates prompt caching in the usage it reports, and rejects what the real API rejects.
// The same script also answers the providers' routes, spoken to by @anthropic-ai/bedrock-sdk and -vertex-sdk:
// Amazon Bedrock (POST /model/{id}/invoke[-with-response-stream], SigV4, AWS event-stream framing) and Google Vertex AI
// (POST …/projects/{p}/locations/{r}/publishers/anthropic/models/{id}:streamRawPredict|rawPredict, Bearer token, SSE).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createHash, createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { AssertionError } from 'node:assert';

type Json = Record<string, unknown>;

export type StopReason =
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export type TurnBlock =
  { type: 'text'; text: string } | { type: 'tool_use'; id?: string; name: string; input: unknown } | WebSearchBlock;

/**
 * One server-side web search, as the API runs it when the request carries the web search tool: it is answered as a
 * `server_tool_use` block (name `web_search`, input `{query}`) and its `web_search_tool_result` block, and counted in
 * `usage.server_tool_use.web_search_requests`. The results are filtered by the tool's `allowed_domains` or
 * `blocked_domains` (a domain counts its subdomains in), as the API does. `error` answers the search with that error
 * code instead (not counted as a search). A request without the web search tool gets a violation.
 */
export interface WebSearchBlock {
  type: 'web_search';
  query: string;
  results?: Array<{ title: string; url: string; page_age?: string }>;
  error?: 'invalid_tool_input' | 'unavailable' | 'max_uses_exceeded' | 'too_many_requests' | 'query_too_long';
}

/** The web search tool versions the API knows (SDK 1.14 types). */
export const WEB_SEARCH_TOOL_TYPES = ['web_search_20250305', 'web_search_20260209', 'web_search_20260318'];

/**
 * What goes wrong instead of (or part-way through) a normal answer.
 * - `http`: the response is that status with the API's error body `{type:'error', error:{type, message}, request_id}`.
 * - `cutAfterEvents`: after that many non-`ping` events the connection is destroyed part-way through the next frame
 *   (`'mid-tool-input'`: right inside the first tool_use's `input_json_delta`s), so fetch fails with "terminated".
 *   `graceful: true` ends the response cleanly after those events instead (no message_stop); the SDK's
 *   MessageStream then throws "stream ended without producing a Message with role=assistant".
 *   On a non-streaming request the JSON body is cut in half.
 * - `streamError`: after `afterEvents` non-`ping` events an `event: error` frame, then the response ends.
 *   On a non-streaming request it becomes the matching HTTP error (overloaded_error → 529, rate_limit_error → 429…).
 * - `hang`: the request is read and never answered (close() frees the socket).
 * - `reset`: the socket is destroyed before any response byte.
 */
export type Fault =
  | { http: number; errorType: string; message: string; headers?: Record<string, string> }
  | { cutAfterEvents: number | 'mid-tool-input'; graceful?: boolean }
  | { streamError: { type: string; message: string }; afterEvents: number }
  | { hang: true }
  | { reset: true };

export interface Turn {
  /** Defaults to []. Ignored by `http`, `hang` and `reset` faults. */
  content?: TurnBlock[];
  /** Default: 'tool_use' if any block is a tool_use, else 'end_turn'. */
  stop_reason?: StopReason;
  fault?: Fault;
  /** Serve this turn this many times in a row (default 1), e.g. a 529 three times. */
  repeat?: number;
  /** Assertion on the request that this turn answers; a throw is recorded as a violation (the turn is still served). */
  expect?: (req: MessagesRequest, rec: RecordedRequest) => void;
  /** Overrides the emulated usage counters (e.g. huge numbers to trip a cost bound). */
  usage?: Partial<
    Pick<Usage, 'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'>
  >;
  /** Waits this long before answering. */
  delayMs?: number;
}

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: Array<{ role: string; content: string | Json[] }>;
  system?: string | Json[];
  tools?: Json[];
  stream?: boolean;
  [key: string]: unknown;
}

export interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard';
  /** Present when the answer ran server tools (web search). */
  server_tool_use?: { web_search_requests: number; web_fetch_requests: number };
}

export type ProviderRoute = 'anthropic' | 'bedrock' | 'vertex';

export interface RecordedRequest {
  /** 0-based arrival order over every HTTP request, rejected ones included. */
  index: number;
  method: string;
  path: string;
  /** Which API's route the path matched ('anthropic' also for unknown paths). */
  provider: ProviderRoute;
  /** The model id: from the path on the providers' routes (decoded), from the body on the Anthropic one. */
  model: string | undefined;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The anthropic-version header; on the providers' routes the body's `anthropic_version`. */
  anthropicVersion: string | undefined;
  /** Parsed body as sent (on the providers' routes without `model`); undefined when it was not JSON. */
  body: MessagesRequest | undefined;
  bytes: number;
  stream: boolean;
  /** HTTP status answered (0 for `hang` and `reset`). */
  status: number;
  /** The error type when the stand-in rejected the request or a fault answered it. */
  error?: { type: string; message: string };
  /** Index of the scripted turn served (counting each repeat), when one was. */
  turn?: number;
  fault?: 'http' | 'cut' | 'stream-error' | 'hang' | 'reset';
  /** The usage answered with (also for stream faults, which carry message_start). */
  usage?: Usage;
}

export interface AnthropicStandIn {
  /** Root URL: give it to the SDK as `baseURL` (the SDK appends /v1/messages). */
  url: string;
  /** For @anthropic-ai/bedrock-sdk (`baseURL` or ANTHROPIC_BEDROCK_BASE_URL): the root, as bedrock-runtime's. */
  bedrockUrl: string;
  /** For @anthropic-ai/vertex-sdk (`baseURL` or ANTHROPIC_VERTEX_BASE_URL): `<root>/v1`, as aiplatform's. */
  vertexUrl: string;
  /** The key accepted; undefined when any non-empty key is. */
  apiKey: string | undefined;
  requests: RecordedRequest[];
  /** Expect failures, unscripted requests and requests the real API would reject (400/401/404). */
  violations: string[];
  assertNoViolations(): void;
  /** Scripted servings left (a turn with `repeat: n` counts n). Tests assert 0. */
  remaining(): number;
  push(...turns: Turn[]): void;
  /** Stops listening and destroys every open socket (so a `hang` cannot keep the process alive). */
  close(): Promise<void>;
}

export interface StartOptions {
  script: Turn[] | ((req: MessagesRequest, index: number) => Turn);
  apiKey?: string;
  /** Below this many prompt tokens at a breakpoint nothing is cached. Default 1024. */
  cacheMinTokens?: number;
  /** Seeds the chunk splitting, ping placement and ids. Default 1. */
  seed?: number;
  /**
   * What the Bedrock route accepts. A SigV4 `authorization` is always checked for form (AWS4-HMAC-SHA256, credential
   * scope `<date>/<region>/bedrock/aws4_request`, x-amz-date, x-amz-content-sha256 = the body's hash); each field given
   * is checked too, and with `secretAccessKey` the signature itself is verified. `apiKey`: a Bedrock API key accepted
   * as `Authorization: Bearer` instead of SigV4.
   */
  bedrock?: { region?: string; accessKeyId?: string; secretAccessKey?: string; sessionToken?: string; apiKey?: string };
  /** What the Vertex route accepts: the Bearer token (any non-empty one when undefined), the project and region in the path. */
  vertex?: { token?: string; projectId?: string; region?: string };
}

/** The emulated token count of a value: ceil(JSON length / 4) (strings count their own length). */
export function countTokens(value: unknown): number {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return Math.ceil(s.length / 4);
}

const LOOKBACK_BLOCKS = 20;
const MAX_BREAKPOINTS = 4;

export async function startAnthropic(opts: StartOptions): Promise<AnthropicStandIn> {
  const rng = mulberry32(opts.seed ?? 1);
  const cacheMin = opts.cacheMinTokens ?? 1024;
  const queue: Turn[] = [];
  const scriptFn = typeof opts.script === 'function' ? opts.script : undefined;
  if (Array.isArray(opts.script)) queue.push(...opts.script);
  let servedTurns = 0;
  /** Prefix hash → tokens of that prefix, written by earlier requests. */
  const cache = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const sockets = new Set<Socket>();
  const id = (prefix: string) => prefix + randomId(rng, 24);

  function nextTurn(body: MessagesRequest): { turn: Turn; index: number } | undefined {
    const head = queue[0];
    if (head) {
      const left = (head.repeat ?? 1) - 1;
      if (left > 0) queue[0] = { ...head, repeat: left };
      else queue.shift();
      return { turn: head, index: servedTurns++ };
    }
    if (scriptFn) {
      const index = servedTurns++;
      return { turn: scriptFn(body, index), index };
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    let body: MessagesRequest | undefined;
    try {
      // The client's body, not yet known to be a Messages request: until validate() below has passed it, only
      // typeof-guarded fields are read, and the request log keeps it as sent.
      body = JSON.parse(raw.toString('utf8')) as MessagesRequest;
    } catch {
      body = undefined;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routeOf(req.method ?? 'GET', path);
    const rec: RecordedRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path,
      provider: route?.provider ?? 'anthropic',
      model:
        route && route.provider !== 'anthropic'
          ? route.model
          : typeof body?.model === 'string'
            ? body.model
            : undefined,
      headers,
      anthropicVersion:
        route && route.provider !== 'anthropic'
          ? (body?.anthropic_version as string | undefined)
          : headers['anthropic-version'],
      body,
      bytes: raw.length,
      stream: route && route.provider !== 'anthropic' ? route.stream : body?.stream === true,
      status: 0,
    };
    requests.push(rec);
    const requestId = id('req_011C');

    const reject = (status: number, type: string, message: string, extra?: Record<string, string>) => {
      violations.push(`request #${rec.index} ${rec.method} ${path}: ${status} ${type}: ${message}`);
      sendError(res, rec, requestId, status, type, message, extra);
    };

    if (!route) return reject(404, 'not_found_error', `Not Found: ${rec.method} ${path}`);
    if (route.provider === 'anthropic') {
      const authError = checkAuth(headers, opts.apiKey);
      if (authError) return reject(401, 'authentication_error', authError);
      if (!rec.anthropicVersion) return reject(400, 'invalid_request_error', 'anthropic-version: header is required');
    } else if (route.provider === 'bedrock') {
      const authError = checkBedrockAuth(headers, raw, path, req.url ?? '/', opts.bedrock);
      if (authError)
        return reject(
          authError.status,
          authError.status === 401 ? 'authentication_error' : 'permission_error',
          authError.message,
        );
    } else {
      const authError = checkVertexAuth(headers, opts.vertex?.token);
      if (authError) return reject(401, 'authentication_error', authError);
      if (opts.vertex?.projectId !== undefined && route.project !== opts.vertex.projectId) {
        return reject(
          403,
          'permission_error',
          `Permission denied on project '${route.project}' (expected '${opts.vertex.projectId}')`,
        );
      }
      if (opts.vertex?.region !== undefined && route.region !== opts.vertex.region) {
        return reject(
          404,
          'not_found_error',
          `Location '${route.region}' is not the one expected ('${opts.vertex.region}')`,
        );
      }
    }
    if (body === undefined)
      return reject(400, 'invalid_request_error', 'There was an error parsing the body of your request');
    if (route.provider !== 'anthropic' && !route.countTokens) {
      // The providers take the model from the path and the version from the body; a `model` in the body is refused.
      const b = body as Json;
      if (typeof b.anthropic_version !== 'string' || b.anthropic_version === '') {
        return reject(400, 'invalid_request_error', 'anthropic_version: Field required');
      }
      if ('model' in b) return reject(400, 'invalid_request_error', 'extraneous key [model] is not permitted');
      if (route.provider === 'bedrock' && 'stream' in b)
        return reject(400, 'invalid_request_error', 'extraneous key [stream] is not permitted');
      const badModel = checkProviderModel(route.provider, route.model);
      if (badModel)
        return reject(
          badModel.status,
          badModel.status === 404 ? 'not_found_error' : 'invalid_request_error',
          badModel.message,
        );
      body = { ...body, model: route.model, stream: route.stream };
    }
    const countOnly = route.countTokens;
    const invalid = validate(body, countOnly);
    if (invalid) return reject(400, 'invalid_request_error', invalid);

    const prompt = analysePrompt(body, cacheMin, cache);
    if (countOnly) {
      rec.status = 200;
      return sendJson(res, 200, requestId, { input_tokens: prompt.total });
    }

    const next = nextTurn(body);
    if (!next) {
      // x-should-retry: false, so the SDK surfaces it at once instead of retrying into the same wall.
      return reject(500, 'api_error', `unscripted request: no turn left to answer request #${rec.index}`, {
        'x-should-retry': 'false',
      });
    }
    const { turn, index } = next;
    rec.turn = index;
    if (turn.expect) {
      try {
        turn.expect(body, rec);
      } catch (e) {
        violations.push(`turn #${index} expect failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (turn.delayMs) await new Promise((r) => setTimeout(r, turn.delayMs));
    const fault = turn.fault;

    if (fault && 'reset' in fault) {
      rec.fault = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault && 'hang' in fault) {
      rec.fault = 'hang';
      return;
    }
    if (fault && 'http' in fault) {
      rec.fault = 'http';
      return sendError(res, rec, requestId, fault.http, fault.errorType, fault.message, fault.headers);
    }

    const searchTool = (body.tools ?? []).find((t) => WEB_SEARCH_TOOL_TYPES.includes(String(t.type)));
    if (turn.content?.some((b) => b.type === 'web_search') && !searchTool)
      violations.push(`turn #${index} answers with a web search, but request #${rec.index} has no web search tool`);
    let searches = 0;
    const content: ContentOut[] = (turn.content ?? []).flatMap((b): ContentOut[] => {
      if (b.type === 'tool_use')
        return [{ type: 'tool_use', id: b.id ?? id('toolu_01'), name: b.name, input: b.input }];
      if (b.type === 'text') return [{ type: 'text', text: b.text }];
      const toolUseId = id('srvtoolu_01');
      if (!b.error) searches++;
      return [
        { type: 'server_tool_use', id: toolUseId, name: 'web_search', input: { query: b.query }, caller: DIRECT },
        {
          type: 'web_search_tool_result',
          tool_use_id: toolUseId,
          caller: DIRECT,
          content: b.error
            ? { type: 'web_search_tool_result_error', error_code: b.error }
            : (b.results ?? [])
                .filter((r) => domainFilter(searchTool ?? {}, r.url))
                .map((r) => ({
                  type: 'web_search_result',
                  title: r.title,
                  url: r.url,
                  encrypted_content: Buffer.from(`${r.url} ${r.title}`).toString('base64'),
                  page_age: r.page_age ?? null,
                })),
        },
      ];
    });
    const stopReason = turn.stop_reason ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const outputChars = content.reduce(
      (n, b) =>
        n +
        (b.type === 'text'
          ? b.text.length
          : b.type === 'web_search_tool_result'
            ? 0
            : JSON.stringify(b.input ?? {}).length),
      0,
    );
    const usage: Usage = {
      input_tokens: prompt.input,
      cache_creation_input_tokens: prompt.creation,
      cache_read_input_tokens: prompt.read,
      output_tokens: Math.max(1, Math.ceil(outputChars / 4)),
      cache_creation: { ephemeral_5m_input_tokens: prompt.creation, ephemeral_1h_input_tokens: 0 },
      service_tier: 'standard',
      ...(searchTool ? { server_tool_use: { web_search_requests: searches, web_fetch_requests: 0 } } : {}),
    };
    Object.assign(usage, turn.usage);
    usage.cache_creation.ephemeral_5m_input_tokens = usage.cache_creation_input_tokens;
    rec.usage = usage;
    // The prompt was processed: its breakpoints are now in the cache for later requests.
    for (const w of prompt.writes) cache.set(w.hash, w.tokens);
    const message = {
      id: id('msg_01'),
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage,
    };

    if (!rec.stream) {
      if (fault && 'streamError' in fault) {
        rec.fault = 'stream-error';
        return sendError(
          res,
          rec,
          requestId,
          statusForErrorType(fault.streamError.type),
          fault.streamError.type,
          fault.streamError.message,
        );
      }
      if (fault && 'cutAfterEvents' in fault) {
        rec.fault = 'cut';
        const text = Buffer.from(JSON.stringify(message));
        res.writeHead(200, {
          'content-type': 'application/json',
          'request-id': requestId,
          'content-length': String(text.length),
        });
        rec.status = 200;
        res.write(text.subarray(0, Math.floor(text.length / 2)));
        if (fault.graceful) res.end();
        else setImmediate(() => res.destroy());
        return;
      }
      rec.status = 200;
      return sendJson(res, 200, requestId, message);
    }

    const events = streamEvents(message, content, usage, rng);
    const bedrock = route.provider === 'bedrock';
    const encode = bedrock ? eventStreamFrameOf : (e: SseEvent) => Buffer.from(frameOf(e));
    res.socket?.setNoDelay(true);
    res.writeHead(
      200,
      bedrock
        ? {
            'content-type': 'application/vnd.amazon.eventstream',
            'x-amzn-requestid': requestId,
            'x-amzn-bedrock-content-type': 'application/json',
          }
        : { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId },
    );
    rec.status = 200;
    let limit = events.length;
    let tail: Buffer | undefined;
    if (fault && 'cutAfterEvents' in fault) {
      rec.fault = 'cut';
      let cutAt: number;
      if (fault.cutAfterEvents === 'mid-tool-input') {
        const i = events.findIndex((e) => {
          // The stand-in's own events: a content_block_delta carries { type, partial_json } for tool input.
          const delta = e.data.delta as { type?: string; partial_json?: string } | undefined;
          return delta?.type === 'input_json_delta' && delta.partial_json !== '';
        });
        cutAt = i >= 0 ? i : Math.floor(events.length / 2);
      } else {
        cutAt = indexAfterNonPing(events, fault.cutAfterEvents);
      }
      limit = cutAt;
      const next = events[cutAt];
      if (next && !fault.graceful) {
        const frame = encode(next);
        tail = frame.subarray(0, Math.max(1, Math.floor(frame.length / 2)));
      }
    }
    let errorFrame: Buffer | undefined;
    if (fault && 'streamError' in fault) {
      rec.fault = 'stream-error';
      rec.error = fault.streamError;
      limit = indexAfterNonPing(events, fault.afterEvents);
      // On Bedrock an Anthropic error travels as a chunk too; the SDK turns it into the same `event: error`.
      errorFrame = encode({ name: 'error', data: { type: 'error', error: fault.streamError, request_id: requestId } });
    }
    const parts = events.slice(0, limit).map(encode);
    if (errorFrame) parts.push(errorFrame);
    if (tail) parts.push(tail);
    const buf = Buffer.concat(parts);
    const ok = await writeSplit(res, buf, rng);
    if (!ok) return;
    if (fault && 'cutAfterEvents' in fault && !fault.graceful) {
      res.destroy();
      return;
    }
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      violations.push(`stand-in crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('anthropic stand-in: no TCP address');

  return {
    url: `http://127.0.0.1:${addr.port}`,
    bedrockUrl: `http://127.0.0.1:${addr.port}`,
    vertexUrl: `http://127.0.0.1:${addr.port}/v1`,
    apiKey: opts.apiKey,
    requests,
    violations,
    assertNoViolations() {
      if (violations.length) {
        throw new AssertionError({ message: `Anthropic stand-in violations:\n- ${violations.join('\n- ')}` });
      }
    },
    remaining: () => queue.reduce((n, t) => n + (t.repeat ?? 1), 0),
    push: (...turns) => void queue.push(...turns),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP helpers

function sendJson(
  res: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  extra?: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'request-id': requestId,
    ...extra,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  rec: RecordedRequest,
  requestId: string,
  status: number,
  type: string,
  message: string,
  headers?: Record<string, string>,
): void {
  rec.status = status;
  rec.error = { type, message };
  if (rec.provider === 'bedrock') {
    // Bedrock's own error shape: `{message}` and the exception name in x-amzn-errortype.
    sendJson(
      res,
      status,
      requestId,
      { message },
      {
        'x-amzn-errortype': `${bedrockException(status)}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        ...headers,
      },
    );
    return;
  }
  sendJson(res, status, requestId, { type: 'error', error: { type, message }, request_id: requestId }, headers);
}

function bedrockException(status: number): string {
  const map: Record<number, string> = {
    400: 'ValidationException',
    403: 'AccessDeniedException',
    404: 'ResourceNotFoundException',
    408: 'ModelTimeoutException',
    424: 'ModelErrorException',
    429: 'ThrottlingException',
    503: 'ServiceUnavailableException',
  };
  return map[status] ?? 'InternalServerException';
}

function statusForErrorType(type: string): number {
  const map: Record<string, number> = {
    invalid_request_error: 400,
    authentication_error: 401,
    permission_error: 403,
    not_found_error: 404,
    request_too_large: 413,
    rate_limit_error: 429,
    api_error: 500,
    overloaded_error: 529,
  };
  return map[type] ?? 500;
}

// ---------------------------------------------------------------------------------------------------------------
// The providers' routes

type Route =
  | { provider: 'anthropic'; countTokens: boolean }
  | { provider: 'bedrock'; model: string; stream: boolean; countTokens: false }
  | { provider: 'vertex'; project: string; region: string; model: string; stream: boolean; countTokens: boolean };

const BEDROCK_PATH = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;
const VERTEX_PATH =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/]+):(streamRawPredict|rawPredict)$/;

function routeOf(method: string, path: string): Route | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/messages') return { provider: 'anthropic', countTokens: false };
  if (path === '/v1/messages/count_tokens') return { provider: 'anthropic', countTokens: true };
  const b = BEDROCK_PATH.exec(path);
  if (b)
    return {
      provider: 'bedrock',
      model: decode(b[1]!),
      stream: b[2] === 'invoke-with-response-stream',
      countTokens: false,
    };
  const v = VERTEX_PATH.exec(path);
  if (v) {
    const model = decode(v[3]!);
    const countTokens = model === 'count-tokens';
    if (countTokens && v[4] !== 'rawPredict') return undefined;
    return {
      provider: 'vertex',
      project: decode(v[1]!),
      region: decode(v[2]!),
      model,
      stream: v[4] === 'streamRawPredict',
      countTokens,
    };
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const BEDROCK_MODEL = /^(?:(?:global|us|us-gov|eu|apac|jp|au|ca)\.)?anthropic\.claude-[a-z0-9.-]+(?::\d+)?$/;
const BEDROCK_ARN =
  /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d*:(?:foundation-model|inference-profile|application-inference-profile|provisioned-model)\/.+$/;
const VERTEX_MODEL = /^claude-[a-z0-9-]+(?:@\d{8})?$/;

/** The providers' own id spellings: an Anthropic API id such as `claude-sonnet-5-5` is not a Bedrock model id. */
function checkProviderModel(
  provider: 'bedrock' | 'vertex',
  model: string,
): { status: number; message: string } | undefined {
  if (provider === 'bedrock') {
    return BEDROCK_MODEL.test(model) || BEDROCK_ARN.test(model)
      ? undefined
      : { status: 400, message: `The provided model identifier is invalid: ${model}` };
  }
  return VERTEX_MODEL.test(model) && !/-\d{8}$/.test(model)
    ? undefined
    : { status: 404, message: `Publisher Model \`publishers/anthropic/models/${model}\` not found.` };
}

function checkVertexAuth(headers: Record<string, string>, token: string | undefined): string | undefined {
  const bearer = headers['authorization']?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (!bearer)
    return 'Request is missing required authentication credential. Expected OAuth 2 access token (Authorization: Bearer).';
  if (token !== undefined && bearer !== token)
    return 'Request had invalid authentication credentials. Expected OAuth 2 access token.';
  if (headers['x-api-key']) return 'x-api-key is not an authentication method of Vertex AI';
  return undefined;
}

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;._-]+), ?Signature=([0-9a-f]{64})$/;

/** A Bedrock request's credentials: a Bedrock API key as Bearer, or a well-formed (and, given the secret, valid) SigV4. */
function checkBedrockAuth(
  headers: Record<string, string>,
  raw: Buffer,
  path: string,
  url: string,
  o: StartOptions['bedrock'],
): { status: number; message: string } | undefined {
  const deny = (message: string) => ({ status: 403, message });
  const auth = headers['authorization'];
  if (!auth) return deny('Missing Authentication Token');
  const bearer = auth.match(/^Bearer\s+(.+)$/i)?.[1];
  if (bearer !== undefined) {
    if (o?.apiKey === undefined)
      return deny('Bearer token given, but this stand-in expects SigV4 (no bedrock.apiKey configured)');
    return bearer === o.apiKey ? undefined : deny('Invalid API Key format: Must start with pre-defined prefix');
  }
  const m = SIGV4.exec(auth);
  if (!m) return deny(`Authorization header is not a well-formed SigV4 header: ${auth.slice(0, 120)}`);
  const [, keyId, date, region, service, signedList, signature] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (service !== 'bedrock') return deny(`Credential should be scoped to correct service: 'bedrock', not '${service}'`);
  if (o?.region !== undefined && region !== o.region)
    return deny(`Credential should be scoped to a valid region: '${o.region}', not '${region}'`);
  if (o?.accessKeyId !== undefined && keyId !== o.accessKeyId)
    return deny('The security token included in the request is invalid.');
  const amzDate = headers['x-amz-date'] ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date))
    return deny(`x-amz-date '${amzDate}' is missing or does not match the credential date ${date}`);
  const signed = signedList.split(';');
  for (const h of ['host', 'x-amz-date']) if (!signed.includes(h)) return deny(`SignedHeaders does not include '${h}'`);
  if ([...signed].sort().join(';') !== signedList) return deny('SignedHeaders is not sorted');
  for (const h of signed) if (headers[h] === undefined) return deny(`signed header '${h}' is not in the request`);
  const payloadHash = createHash('sha256').update(raw).digest('hex');
  const declared = headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== payloadHash) {
    return deny('x-amz-content-sha256 does not match the body: the request was changed after it was signed');
  }
  if (o?.sessionToken !== undefined) {
    if (headers['x-amz-security-token'] !== o.sessionToken)
      return deny('The security token included in the request is invalid (x-amz-security-token).');
    if (!signed.includes('x-amz-security-token')) return deny("SignedHeaders does not include 'x-amz-security-token'");
  }
  if (o?.secretAccessKey === undefined) return undefined;

  // The signature itself (SigV4 for a service other than S3: the path is URI-encoded once more).
  const escape = (x: string) =>
    encodeURIComponent(x).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalPath = path.split('/').map(escape).join('/');
  const query = new URL(url, 'http://x').searchParams;
  const canonicalQuery = [...query.keys()]
    .filter((k, i, all) => all.indexOf(k) === i)
    .sort()
    .flatMap((k) =>
      query
        .getAll(k)
        .sort()
        .map((v) => `${escape(k)}=${escape(v)}`),
    )
    .join('&');
  const canonicalHeaders = signed.map((h) => `${h}:${headers[h]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [
    'POST',
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedList,
    declared ?? payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = Buffer.from(`AWS4${o.secretAccessKey}`);
  for (const part of [date, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature) {
    return deny(
      `The request signature we calculated does not match the signature you provided. Canonical request:\n${canonicalRequest}`,
    );
  }
  return undefined;
}

/**
 * One AWS event-stream message (application/vnd.amazon.eventstream) as Bedrock sends a stream chunk: a prelude (total
 * length, headers length, CRC32 of both), string headers (`:event-type` chunk, `:content-type` application/json,
 * `:message-type` event), the payload `{"bytes": base64(event JSON)}`, and a CRC32 of everything before it.
 */
function eventStreamFrameOf(e: SseEvent): Buffer {
  const headers = Buffer.concat(
    Object.entries({ ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' }).map(
      ([name, value]) => {
        const n = Buffer.from(name);
        const v = Buffer.from(value);
        const h = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
        h.writeUInt8(n.length, 0);
        n.copy(h, 1);
        h.writeUInt8(7, 1 + n.length); // 7 = string
        h.writeUInt16BE(v.length, 2 + n.length);
        v.copy(h, 4 + n.length);
        return h;
      },
    ),
  );
  const payload = Buffer.from(JSON.stringify({ bytes: Buffer.from(JSON.stringify(e.data)).toString('base64') }));
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(12 + headers.length + payload.length + 4, 0);
  prelude.writeUInt32BE(headers.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, headers, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(message), 0);
  return Buffer.concat([message, crc]);
}

function checkAuth(headers: Record<string, string>, apiKey: string | undefined): string | undefined {
  const bearer = headers['authorization']?.match(/^Bearer\s+(.+)$/i)?.[1];
  const key = headers['x-api-key'] ?? bearer;
  if (!key) return 'x-api-key header is required';
  if (apiKey !== undefined && key !== apiKey) return 'invalid x-api-key';
  return undefined;
}

/** Writes `buf` in many small pieces (cutting through lines, frames and UTF-8 sequences). False if the client left. */
async function writeSplit(res: ServerResponse, buf: Buffer, rng: () => number): Promise<boolean> {
  let i = 0;
  while (i < buf.length) {
    if (res.destroyed) return false;
    const n = 1 + Math.floor(rng() * 160);
    const more = res.write(buf.subarray(i, i + n));
    i += n;
    if (!more) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    } else {
      await new Promise((r) => setImmediate(r));
    }
  }
  return !res.destroyed;
}

// ---------------------------------------------------------------------------------------------------------------
// SSE

interface SseEvent {
  name: string;
  data: Json;
}

function frameOf(e: SseEvent): string {
  return `event: ${e.name}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** Index just after the n-th non-ping event (pings before that point are kept). */
function indexAfterNonPing(events: SseEvent[], n: number): number {
  let seen = 0;
  for (let i = 0; i < events.length; i++) {
    if (seen >= n) return i;
    if (events[i]!.name !== 'ping') seen++;
  }
  return events.length;
}

/** A content block of the stand-in's answers. */
type ContentOut =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'server_tool_use'; id: string; name: 'web_search'; input: { query: string }; caller: Json }
  | { type: 'web_search_tool_result'; tool_use_id: string; caller: Json; content: unknown };

const DIRECT = { type: 'direct' };

/** Whether a result URL passes the web search tool's allowed_domains / blocked_domains. */
function domainFilter(tool: Json, url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  const within = (list: unknown) =>
    Array.isArray(list) &&
    list.some((d) => host === String(d).toLowerCase() || host.endsWith(`.${String(d).toLowerCase()}`));
  if (Array.isArray(tool.allowed_domains)) return within(tool.allowed_domains);
  if (Array.isArray(tool.blocked_domains)) return !within(tool.blocked_domains);
  return true;
}

function streamEvents(message: Json, content: ContentOut[], usage: Usage, rng: () => number): SseEvent[] {
  const events: SseEvent[] = [];
  const ping = () => events.push({ name: 'ping', data: { type: 'ping' } });
  const maybePing = () => {
    if (rng() < 0.12) ping();
  };
  events.push({
    name: 'message_start',
    data: {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        usage: { ...usage, output_tokens: 1 },
      },
    },
  });
  ping(); // the API sends one right after message_start
  content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({
        name: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      });
      for (const piece of splitCodePoints(block.text, rng)) {
        maybePing();
        events.push({
          name: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } },
        });
      }
    } else if (block.type === 'web_search_tool_result') {
      // The API sends a server tool's result whole in its content_block_start.
      events.push({ name: 'content_block_start', data: { type: 'content_block_start', index, content_block: block } });
    } else {
      const start =
        block.type === 'server_tool_use'
          ? { type: 'server_tool_use', id: block.id, name: block.name, input: {}, caller: block.caller }
          : { type: 'tool_use', id: block.id, name: block.name, input: {} };
      events.push({
        name: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: start },
      });
      const json = JSON.stringify(block.input ?? {});
      const pieces = splitAnywhere(json, rng);
      if (rng() < 0.5) pieces.unshift(''); // the API often opens with an empty partial_json
      for (const piece of pieces) {
        maybePing();
        events.push({
          name: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } },
        });
      }
    }
    events.push({ name: 'content_block_stop', data: { type: 'content_block_stop', index } });
    maybePing();
  });
  events.push({
    name: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: usage.output_tokens,
        ...(usage.server_tool_use ? { server_tool_use: usage.server_tool_use } : {}),
      },
    },
  });
  events.push({ name: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

function splitCodePoints(text: string, rng: () => number): string[] {
  const cps = Array.from(text);
  const out: string[] = [];
  let i = 0;
  while (i < cps.length) {
    const n = 1 + Math.floor(rng() * 24);
    out.push(cps.slice(i, i + n).join(''));
    i += n;
  }
  return out.length ? out : [''];
}

/** Splits at arbitrary UTF-16 positions, as partial_json may be cut inside a string, a number or an escape. */
function splitAnywhere(text: string, rng: () => number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const n = 1 + Math.floor(rng() * 20);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out.length ? out : [''];
}

// ---------------------------------------------------------------------------------------------------------------
// Validation: what the real API answers with 400 invalid_request_error

/** Keys the API accepts on the message blocks this project sends; anything else is "Extra inputs are not permitted". */
const BLOCK_KEYS: Record<string, string[]> = {
  text: ['type', 'text', 'cache_control', 'citations'],
  tool_use: ['type', 'id', 'name', 'input', 'cache_control', 'caller'],
  tool_result: ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'],
  image: ['type', 'source', 'cache_control'],
};

/** The API's image checks: a base64 source of one of four media types, at most 5 MB of base64, in user turns. */
function imageProblem(c: Json, where: string, role: unknown): string | undefined {
  if (role !== 'user') return `${where}: image blocks are only allowed in user messages`;
  const src = c.source as Json | undefined;
  if (typeof src !== 'object' || src === null) return `${where}.image.source: Field required`;
  if (src.type !== 'base64') return `${where}.image.source.type: the stand-in knows only 'base64'`;
  if (!['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(src.media_type as string))
    return `${where}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
  if (typeof src.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(src.data))
    return `${where}.image.source.base64.data: Input should be a valid base64 string`;
  if (src.data.length > 5 * 1024 * 1024)
    return `${where}: image exceeds 5 MB maximum: ${src.data.length} bytes > 5242880 bytes`;
  return undefined;
}

/** The web search server tool as the API checks it. */
function checkWebSearchTool(t: Json, i: number): string | undefined {
  const where = `tools.${i}.${String(t.type)}`;
  if (!WEB_SEARCH_TOOL_TYPES.includes(String(t.type)))
    return `tools.${i}: Input tag '${String(t.type)}' found using 'type' does not match any of the expected tags`;
  if (t.name !== 'web_search') return `${where}.name: Input should be 'web_search'`;
  const allowedKeys = [
    'type',
    'name',
    'allowed_domains',
    'blocked_domains',
    'max_uses',
    'user_location',
    'cache_control',
  ];
  const extra = Object.keys(t).find((k) => !allowedKeys.includes(k));
  if (extra) return `${where}.${extra}: Extra inputs are not permitted`;
  for (const k of ['allowed_domains', 'blocked_domains'] as const) {
    const v = t[k];
    if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((d) => typeof d !== 'string')))
      return `${where}.${k}: Input should be a valid list of strings`;
  }
  if (Array.isArray(t.allowed_domains) && Array.isArray(t.blocked_domains))
    return `${where}: allowed_domains and blocked_domains cannot be used together`;
  if (t.max_uses !== undefined && t.max_uses !== null && !(Number.isInteger(t.max_uses) && (t.max_uses as number) >= 1))
    return `${where}.max_uses: Input should be greater than 0`;
  return undefined;
}

function validate(body: unknown, countOnly: boolean): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Input should be a valid dictionary';
  const b = body as Json;
  if (b.model === undefined) return 'model: Field required';
  if (typeof b.model !== 'string' || b.model === '') return 'model: Input should be a valid string';
  if (!countOnly) {
    if (b.max_tokens === undefined) return 'max_tokens: Field required';
    if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens) || b.max_tokens < 1)
      return 'max_tokens: Input should be greater than or equal to 1';
  }
  if (b.messages === undefined) return 'messages: Field required';
  if (!Array.isArray(b.messages)) return 'messages: Input should be a valid list';
  if (b.messages.length === 0) return 'messages: at least one message is required';

  let breakpoints = 0;
  const countCache = (block: Json, where: string): string | undefined => {
    if (block.cache_control === undefined || block.cache_control === null) return undefined;
    const cc = block.cache_control;
    if (typeof cc !== 'object' || (cc as Json).type !== 'ephemeral')
      return `${where}.cache_control.type: Input should be 'ephemeral'`;
    breakpoints++;
    return undefined;
  };

  if (b.tools !== undefined) {
    if (!Array.isArray(b.tools)) return 'tools: Input should be a valid list';
    const names = new Set<string>();
    for (const [i, t] of (b.tools as Json[]).entries()) {
      if (typeof t !== 'object' || t === null) return `tools.${i}: Input should be a valid dictionary`;
      if (typeof t.name !== 'string') return `tools.${i}.name: Field required`;
      if (!/^[a-zA-Z0-9_-]{1,128}$/.test(t.name))
        return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (
        (t.type === undefined || t.type === 'custom') &&
        (typeof t.input_schema !== 'object' || t.input_schema === null)
      ) {
        return `tools.${i}.custom.input_schema: Field required`;
      }
      if (typeof t.type === 'string' && t.type.startsWith('web_search')) {
        const bad = checkWebSearchTool(t, i);
        if (bad) return bad;
      }
      if (names.has(t.name)) return 'tools: Tool names must be unique.';
      names.add(t.name);
      const e = countCache(t, `tools.${i}`);
      if (e) return e;
    }
  }

  if (b.system !== undefined) {
    if (Array.isArray(b.system)) {
      for (const [i, s] of (b.system as Json[]).entries()) {
        if (s?.type !== 'text' || typeof s.text !== 'string') return `system.${i}: Input should be a valid text block`;
        if (s.text === '') return 'system: text content blocks must be non-empty';
        const e = countCache(s, `system.${i}`);
        if (e) return e;
      }
    } else if (typeof b.system !== 'string') return 'system: Input should be a valid string or list of text blocks';
  }

  const msgs = b.messages as Json[];
  for (const [i, m] of msgs.entries()) {
    if (typeof m !== 'object' || m === null) return `messages.${i}: Input should be a valid dictionary`;
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (m.content === undefined) return `messages.${i}.content: Field required`;
    const isFinalAssistant = i === msgs.length - 1 && m.role === 'assistant';
    if (typeof m.content === 'string') {
      if (m.content === '' && !isFinalAssistant) {
        return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
      }
      continue;
    }
    if (!Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`;
    if (m.content.length === 0 && !isFinalAssistant) {
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    }
    for (const [j, c] of (m.content as Json[]).entries()) {
      const where = `messages.${i}.content.${j}`;
      if (typeof c !== 'object' || c === null || typeof c.type !== 'string')
        return `${where}: Input should be a valid dictionary`;
      const allowed = BLOCK_KEYS[c.type];
      const extra = allowed && Object.keys(c).find((k) => !allowed.includes(k));
      if (extra) return `${where}.${c.type}.${extra}: Extra inputs are not permitted`;
      if (c.type === 'text') {
        if (typeof c.text !== 'string') return `${where}.text.text: Field required`;
        if (c.text === '') return 'messages: text content blocks must be non-empty';
      } else if (c.type === 'tool_use') {
        if (m.role !== 'assistant') return `${where}: tool_use blocks are only allowed in assistant messages`;
        if (typeof c.id !== 'string') return `${where}.tool_use.id: Field required`;
        if (typeof c.name !== 'string') return `${where}.tool_use.name: Field required`;
        if (typeof c.input !== 'object' || c.input === null || Array.isArray(c.input))
          return `${where}.tool_use.input: Input should be a valid dictionary`;
      } else if (c.type === 'image') {
        const e = imageProblem(c, where, m.role);
        if (e) return e;
      } else if (c.type === 'tool_result') {
        if (m.role !== 'user') return `${where}: tool_result blocks are only allowed in user messages`;
        if (typeof c.tool_use_id !== 'string') return `${where}.tool_result.tool_use_id: Field required`;
        if (Array.isArray(c.content)) {
          for (const [k, inner] of (c.content as Json[]).entries()) {
            if (inner?.type === 'text' && inner.text === '') return 'messages: text content blocks must be non-empty';
            const e = countCache(inner ?? {}, `${where}.tool_result.content.${k}`);
            if (e) return e;
          }
        }
      }
      const e = countCache(c, where);
      if (e) return e;
    }
  }
  if (msgs[0]!.role !== 'user') return 'messages: first message must use the "user" role';

  if (breakpoints > MAX_BREAKPOINTS) {
    return `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`;
  }

  // tool_use ↔ tool_result pairing
  // The loop above has checked every block is an object and every tool_result names a string tool_use_id.
  const blocksOf = (m: Json): Json[] => (Array.isArray(m.content) ? (m.content as Json[]) : []);
  for (const [i, m] of msgs.entries()) {
    const prev = msgs[i - 1];
    const offered = new Set(
      prev?.role === 'assistant'
        ? blocksOf(prev)
            .filter((c) => c.type === 'tool_use')
            .map((c) => c.id as string)
        : [],
    );
    for (const [j, c] of blocksOf(m).entries()) {
      const id = c.tool_use_id as string;
      if (c.type === 'tool_result' && !offered.has(id)) {
        return (
          `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. ` +
          'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.'
        );
      }
    }
    if (m.role !== 'assistant') continue;
    const ids = blocksOf(m)
      .filter((c) => c.type === 'tool_use')
      .map((c) => c.id as string);
    if (!ids.length) continue;
    const next = msgs[i + 1];
    // tool_result blocks must come first in the next user message; text may follow them
    const answered = new Set<string>();
    if (next?.role === 'user') {
      for (const c of blocksOf(next)) {
        if (c.type !== 'tool_result') break;
        answered.add(c.tool_use_id as string);
      }
    }
    const missing = ids.filter((x) => !answered.has(x));
    if (missing.length) {
      return (
        `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. ` +
        'Each `tool_use` block must have a corresponding `tool_result` block in the next message.'
      );
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Prompt caching emulation

interface PromptAnalysis {
  total: number;
  input: number;
  read: number;
  creation: number;
  /** Prefixes this request writes (at each breakpoint long enough to cache). */
  writes: Array<{ hash: string; tokens: number }>;
}

/**
 * Flattens the prompt in cache order (tools → system → messages, block by block), hashes each prefix, and works out
 * what an earlier request wrote that this one reads, and what this one writes up to its last breakpoint.
 */
function analysePrompt(body: MessagesRequest, cacheMin: number, cache: Map<string, number>): PromptAnalysis {
  const blocks: Array<{ key: string; tokens: number; breakpoint: boolean }> = [];
  const add = (key: string, canonical: unknown, breakpoint: boolean) => {
    blocks.push({ key: key + JSON.stringify(canonical), tokens: countTokens(canonical), breakpoint });
  };
  for (const t of body.tools ?? []) add('tool:', withoutCacheControl(t), t.cache_control != null);
  if (typeof body.system === 'string') add('system:', { type: 'text', text: body.system }, false);
  else for (const s of body.system ?? []) add('system:', withoutCacheControl(s), s.cache_control != null);
  body.messages.forEach((m, i) => {
    const content = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    content.forEach((c, j) => {
      const inner = Array.isArray(c.content) ? (c.content as Json[]) : [];
      const hasBp = c.cache_control != null || inner.some((x) => x?.cache_control != null);
      add(`m${i}:${m.role}:${j}:`, withoutCacheControl(c), hasBp);
    });
  });

  const hashes: string[] = [];
  const cumulative: number[] = [];
  let h = createHash('sha256').update(`model:${body.model}`).digest('hex');
  let sum = 0;
  for (const b of blocks) {
    h = createHash('sha256').update(h).update(b.key).digest('hex');
    sum += b.tokens;
    hashes.push(h);
    cumulative.push(sum);
  }
  const total = Math.max(1, sum);
  const bps = blocks.flatMap((b, i) => (b.breakpoint ? [i] : []));

  // Read: at each breakpoint, the prefix there or at one of the blocks before it (the lookback window).
  let readEnd = -1;
  for (const bp of bps) {
    for (let k = bp; k >= Math.max(0, bp - LOOKBACK_BLOCKS); k--) {
      if (cache.has(hashes[k]!)) {
        readEnd = Math.max(readEnd, k);
        break;
      }
    }
  }
  const read = readEnd >= 0 ? cumulative[readEnd]! : 0;
  const writes = bps
    .filter((bp) => cumulative[bp]! >= cacheMin)
    .map((bp) => ({ hash: hashes[bp]!, tokens: cumulative[bp]! }));
  const lastWrite = writes.length ? bps.filter((bp) => cumulative[bp]! >= cacheMin).at(-1)! : -1;
  const creation = lastWrite > readEnd ? cumulative[lastWrite]! - read : 0;
  return { total, input: total - read - creation, read, creation, writes };
}

function withoutCacheControl(block: Json): Json {
  const { cache_control: _ignored, ...rest } = block;
  if (Array.isArray(rest.content)) {
    rest.content = (rest.content as Json[]).map((x) => {
      if (typeof x !== 'object' || x === null) return x;
      const { cache_control: _inner, ...r } = x;
      return r;
    });
  }
  return rest;
}

// ---------------------------------------------------------------------------------------------------------------

/** A small seeded PRNG (mulberry32): the same seed, the same chunking and ids — and the same soak run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function randomId(rng: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rng() * ALPHABET.length)];
  return s;
}
