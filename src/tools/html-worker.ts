/**
 * Worker-thread entry (its own file in dist, see scripts/bundle.mjs): converts one HTML page to Markdown and exits.
 * Parsing a large page takes seconds of CPU; on the main thread it would block the run's timeout, its cancellation
 * and every other tool. WebFetch terminates this worker at its deadline or when the call is cancelled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { htmlToMarkdown, type PageMarkdown } from './html-markdown.ts';

export type HtmlReply = { ok: true; page: PageMarkdown } | { ok: false; error: string };

const port = parentPort;
if (!port) throw new Error('html-worker.ts runs as a worker thread only.');
let reply: HtmlReply;
try {
  const { html } = workerData as { html?: unknown };
  reply = { ok: true, page: htmlToMarkdown(typeof html === 'string' ? html : '') };
} catch (e) {
  reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
}
port.postMessage(reply);
