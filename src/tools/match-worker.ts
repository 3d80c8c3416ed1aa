/**
 * Worker-thread entry (its own file in dist, see scripts/bundle.mjs): runs one MatchTask per message. The main
 * thread terminates this worker when a task passes its deadline, which no code on the main thread could do to itself.
 */
import { parentPort } from 'node:worker_threads';
import { runMatchTask, type MatchTask } from './match-tasks.ts';

export interface MatchRequest {
  id: number;
  task: MatchTask;
}

/** `started` first (the deadline counts from there, not from the worker's own start-up), then the answer. */
export type MatchReply =
  { id: number; started: true } | { id: number; ok: true; value: string[] } | { id: number; ok: false; error: string };

const port = parentPort;
if (!port) throw new Error('match-worker.ts runs as a worker thread only.');
port.on('message', (request: MatchRequest) => void answer(request));

async function answer({ id, task }: MatchRequest): Promise<void> {
  port!.postMessage({ id, started: true } satisfies MatchReply);
  let reply: MatchReply;
  try {
    reply = { id, ok: true, value: await runMatchTask(task) };
  } catch (e) {
    reply = { id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  port!.postMessage(reply);
}
