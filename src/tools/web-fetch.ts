/**
 * WebFetch, with Claude Code's name and schema (`url`, `prompt`): fetches one page from a host in `allowed-domains`
 * (web-policy.ts decides, before any connection) and returns it as Markdown, bounded, with the prompt echoed. There is
 * no model pass over the page (Claude Code runs a small model on it): the agent's own model reads the Markdown, and
 * every token it reads is already counted in the run's cost.
 *
 * node:http(s), not fetch: a request takes a `lookup` function, so the address web-policy.ts checked is the address
 * connected to (fetch could do that only through undici's Agent, ~790 KB more in the bundle). Only fixed headers are
 * sent: no token, cookie or variable from the action's environment, and no proxy from it either.
 * Redirects within the same host are followed (each hop checked again); one to another host is reported, not
 * followed, as Claude Code does. The body is read up to MAX_FETCH_BYTES and cut there; binary bodies are refused.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as zlib from 'node:zlib';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import * as z from 'zod/mini';
import { abortReason, errorMessage } from '../errors.ts';
import type { PageMarkdown } from './html-markdown.ts';
import type { HtmlReply } from './html-worker.ts';
import { capText, fail, MAX_RESULT_CHARS, ok, ToolError, type ToolResult } from './result.ts';
import { defineTool, type Tool } from './schema.ts';
import { checkTarget, guardedLookup, sameSite, webAllowlist, type WebTarget } from './web-policy.ts';

/** The most of a body read; the rest is cut (a page past it is rarely what a prompt needs whole). */
export const MAX_FETCH_BYTES = 5 * 1024 * 1024;
/** One fetch, redirects and body included. */
export const FETCH_TIMEOUT_MS = 60_000;
/** Turning the HTML into Markdown, in a worker (a few seconds for a MB-sized page). */
export const CONVERT_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 10;
const HEADERS = {
  'user-agent': 'backend-developer-action (WebFetch)',
  accept: 'text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5',
  'accept-encoding': 'gzip, deflate, br',
};

export interface WebFetchOptions {
  /** The run's `allowed-domains`: empty → the default registries; `*` any public host; `none` no network. */
  allowedDomains?: readonly string[];
  timeoutMs?: number;
  maxBytes?: number;
}

const input = z.strictObject({
  url: z.string().check(z.describe('The URL to fetch (http:// is upgraded to https://)')),
  prompt: z.string().check(z.describe('What you want to learn from the page')),
});

export function webFetchTool(opts: WebFetchOptions = {}): Tool {
  const allowed = webAllowlist(opts.allowedDomains);
  return defineTool({
    name: 'WebFetch',
    description:
      'Fetches a URL from a host in allowed-domains and returns the page as Markdown (cut at about 30k characters), ' +
      'with your prompt, so you can find what it asks. A redirect to another host is reported, not followed: fetch ' +
      'the new URL if you want it. Read-only.',
    input,
    readOnly: true,
    async run({ url, prompt }, ctx) {
      const deadline = AbortSignal.timeout(opts.timeoutMs ?? FETCH_TIMEOUT_MS);
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadline]) : deadline;
      try {
        return await fetchPage(url, prompt, allowed, opts.maxBytes ?? MAX_FETCH_BYTES, signal);
      } catch (e) {
        if (e instanceof ToolError) throw e;
        if (deadline.aborted && !ctx.signal?.aborted)
          throw new ToolError(`${url} did not answer within ${(opts.timeoutMs ?? FETCH_TIMEOUT_MS) / 1000} s.`);
        if (ctx.signal?.aborted) throw abortReason(ctx.signal);
        throw new ToolError(`cannot fetch ${url}: ${errorMessage(e)}.`);
      }
    },
  });
}

interface Page {
  readonly kind: 'page';
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** The body went past the cap and was cut. */
  readonly cut: boolean;
}
interface Redirect {
  readonly kind: 'redirect';
  readonly status: number;
  readonly statusText: string;
  readonly location: string;
}
interface Binary {
  readonly kind: 'binary';
  readonly status: number;
  readonly contentType: string;
  readonly length: string | undefined;
}

async function fetchPage(
  raw: string,
  prompt: string,
  allowed: readonly string[] | null,
  maxBytes: number,
  signal: AbortSignal,
): Promise<ToolResult> {
  let target = checkTarget(raw, allowed);
  for (let hop = 0; ; hop++) {
    const got = await request(target, maxBytes, signal);
    if (got.kind === 'binary') {
      throw new ToolError(
        `${target.url.href} is ${got.contentType || 'binary content'}${got.length ? ` (${got.length} bytes)` : ''}, ` +
          'not a text page: WebFetch returns text and HTML only.',
      );
    }
    if (got.kind === 'page') return render(target, got, prompt, signal);
    const next = new URL(got.location, target.url);
    if (!sameSite(target.url, next)) return reportRedirect(target.url, next, got, prompt, allowed);
    if (hop >= MAX_REDIRECTS) throw new ToolError(`${raw} redirected more than ${MAX_REDIRECTS} times; giving up.`);
    target = checkTarget(next.href, allowed);
  }
}

function reportRedirect(
  from: URL,
  to: URL,
  got: Redirect,
  prompt: string,
  allowed: readonly string[] | null,
): ToolResult {
  let outside: string | null = null;
  try {
    checkTarget(to.href, allowed);
  } catch (e) {
    outside = errorMessage(e);
  }
  const lines = [
    'REDIRECT DETECTED: The URL redirects to a different host.',
    `Original URL: ${from.href}`,
    `Redirect URL: ${to.href}`,
    `Status: ${got.status} ${got.statusText}`,
  ];
  if (outside) return fail('WebFetch', `${lines.join('\n')}\nIt was not followed: ${outside}`);
  return ok(
    `${lines.join('\n')}\nIt was not followed; fetch it if you want: call WebFetch again with url: "${to.href}" and prompt: "${prompt}".`,
  );
}

/** One HTTP exchange: the page (body read up to the cap), a redirect, or a binary body left unread. */
function request(target: WebTarget, maxBytes: number, signal: AbortSignal): Promise<Page | Redirect | Binary> {
  const mod = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = (): void => settle(() => reject(abortReason(signal)));
    signal.addEventListener('abort', onAbort, { once: true });
    const req = mod.get(
      target.url,
      { agent: false, lookup: guardedLookup(target), headers: HEADERS, signal },
      (res) => {
        const status = res.statusCode ?? 0;
        const statusText = res.statusMessage ?? '';
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location) {
          res.destroy();
          return settle(() => resolve({ kind: 'redirect', status, statusText, location }));
        }
        const contentType = (res.headers['content-type'] ?? '').trim();
        if (isBinaryType(contentType)) {
          res.destroy();
          return settle(() => resolve({ kind: 'binary', status, contentType, length: res.headers['content-length'] }));
        }
        readCapped(decoded(res), maxBytes, () => res.destroy()).then(
          ({ body, cut }) => {
            if (!contentType && looksBinary(body))
              return settle(() =>
                resolve({ kind: 'binary', status, contentType: 'binary content', length: undefined }),
              );
            settle(() => resolve({ kind: 'page', status, statusText, contentType, body, cut }));
          },
          (e: Error) => settle(() => reject(e)),
        );
      },
    );
    req.on('error', (e) => settle(() => reject(e)));
  });
}

function decoded(res: http.IncomingMessage): Readable {
  const enc = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') return res.pipe(zlib.createGunzip());
  if (enc === 'deflate') return res.pipe(zlib.createInflate());
  if (enc === 'br') return res.pipe(zlib.createBrotliDecompress());
  return res;
}

/** Reads until the end or `max` bytes (decompressed), whichever is first; then `stop()` closes the connection. */
function readCapped(stream: Readable, max: number, stop: () => void): Promise<{ body: Buffer; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (cut: boolean): void => {
      if (done) return;
      done = true;
      resolve({ body: Buffer.concat(chunks, size), cut });
    };
    stream.on('data', (c: Buffer) => {
      if (done) return;
      const room = max - size;
      chunks.push(c.length > room ? c.subarray(0, room) : c);
      size += Math.min(c.length, room);
      if (c.length >= room && size >= max) {
        finish(true);
        stop();
        stream.destroy();
      }
    });
    stream.on('end', () => finish(false));
    stream.on('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|xhtml\+xml|javascript|ecmascript|x-javascript|yaml|x-yaml|toml|x-sh|x-httpd-php|sql|graphql|ld\+json|x-ndjson)\b|application\/[\w.+-]+\+(json|xml)\b)/i;

function isBinaryType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!type) return false;
  return !TEXT_TYPES.test(type);
}

function looksBinary(body: Buffer): boolean {
  return body.subarray(0, 4096).includes(0);
}

function charsetOf(contentType: string, body: Buffer, html: boolean): string {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  if (fromHeader) return fromHeader;
  if (html) {
    const head = body.subarray(0, 2048).toString('latin1');
    const meta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
    if (meta) return meta;
  }
  return 'utf-8';
}

function decodeText(body: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

async function render(target: WebTarget, page: Page, prompt: string, signal: AbortSignal): Promise<ToolResult> {
  const type = page.contentType.split(';')[0]!.trim().toLowerCase();
  const html =
    type === 'text/html' ||
    type === 'application/xhtml+xml' ||
    (!type && /^\s*<(!doctype|html)/i.test(page.body.subarray(0, 512).toString('latin1')));
  const text = decodeText(page.body, charsetOf(page.contentType, page.body, html));
  const converted: PageMarkdown = html ? await convertHtml(text, signal) : { title: '', markdown: text };
  const size = page.body.length < 1024 ? `${page.body.length} bytes` : `${Math.round(page.body.length / 1024)} KB`;
  const head = [
    `URL: ${target.url.href} (${page.status} ${page.statusText}, ${type || 'no content type'}, ${page.cut ? 'first ' : ''}${size})`,
    ...(target.upgraded ? ['(http:// was upgraded to https://)'] : []),
    ...(converted.title ? [`Title: ${converted.title}`] : []),
    `Prompt: ${prompt}`,
    ...(page.cut ? [`[The body is larger than ${page.body.length / 1024 / 1024} MB; only its start was read.]`] : []),
  ].join('\n');
  if (page.status >= 400) {
    return fail(
      'WebFetch',
      `${head}\nThe server answered with an error. Its page:\n\n${capText(converted.markdown, '', 2000)}`,
    );
  }
  const intro = `${head}\nThe page follows${html ? ' as Markdown' : ''}; find in it what the prompt asks.\n\n`;
  return ok(
    intro +
      capText(
        converted.markdown || '(the page has no text)',
        'The rest of the page was not shown: fetch a more specific URL (a subpage or anchor target) for it.',
        MAX_RESULT_CHARS - intro.length,
      ),
  );
}

function htmlWorkerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './html-worker.ts' : './html-worker.js', import.meta.url);
}

/** HTML to Markdown in a worker thread, stopped at CONVERT_TIMEOUT_MS or when the call is cancelled. */
function convertHtml(html: string, signal: AbortSignal): Promise<PageMarkdown> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const w = new Worker(htmlWorkerUrl(), { workerData: { html }, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    let done = false;
    const end = (f: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      void w.terminate();
      f();
    };
    const onAbort = (): void => end(() => reject(abortReason(signal)));
    const timer = setTimeout(
      () =>
        end(() =>
          reject(
            new ToolError(
              `converting the page to Markdown took over ${CONVERT_TIMEOUT_MS / 1000} s; fetch a smaller or more specific page.`,
            ),
          ),
        ),
      CONVERT_TIMEOUT_MS,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    w.on('message', (m: HtmlReply) =>
      end(() => (m.ok ? resolve(m.page) : reject(new Error(`the page could not be converted: ${m.error}`)))),
    );
    w.on('error', (e: Error) => end(() => reject(e)));
    w.on('exit', (code) => end(() => reject(new Error(`the HTML converter exited (code ${code})`))));
  });
}
