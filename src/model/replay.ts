import { readFile } from 'node:fs/promises';
import type Anthropic from '@anthropic-ai/sdk';
import { UserError } from '../errors.ts';
import type { ModelClient } from './client.ts';

export interface Recording {
  readonly agent: string;
  readonly model: string;
  readonly tools: readonly string[];
  readonly startSha: string;
  /** The model's answers in order: what the replay serves instead of calling the API. */
  readonly messages: readonly Anthropic.Messages.Message[];
  /** sha256 of the run's `git diff --binary` from startSha; absent when the run changed nothing or never ended. */
  readonly diffSha256: string | undefined;
}

/**
 * The transcript lines a replay reads, as the run writes them (src/session/session.ts, src/pipeline/publish.ts,
 * src/cli.ts); the type guards below pick them out by `type` and trust the rest of the line, which this action wrote.
 */
interface StartLine {
  readonly type: 'start';
  readonly agent: string;
  readonly model: string;
  readonly tools: readonly string[];
  readonly startSha?: string;
}
interface ResponseLine {
  readonly type: 'response';
  readonly message: Anthropic.Messages.Message;
}
interface EndLine {
  readonly type: 'end';
  readonly diffSha256?: string;
}
type TranscriptLine = { readonly type?: unknown };

/** Reads a JSONL transcript written by a run (the action's `transcript` output or the CLI's). */
export async function readRecording(path: string): Promise<Recording> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UserError(
      `Cannot read the transcript ${path} (${(e as NodeJS.ErrnoException).code}): pass the file the run's 'transcript' output named.`,
    );
  }
  const entries = text
    .split('\n')
    .filter(Boolean)
    .map((l, i) => {
      try {
        return JSON.parse(l) as TranscriptLine;
      } catch {
        throw new UserError(`The transcript ${path} is not JSONL: line ${i + 1} is not JSON.`);
      }
    });
  const start = entries.find((e): e is StartLine => e.type === 'start');
  if (!start?.startSha)
    throw new UserError(
      `The transcript ${path} has no start entry with the starting commit: it was not written by this action (or by a version before transcripts could be replayed).`,
    );
  const end = entries.findLast((e): e is EndLine => e.type === 'end');
  return {
    agent: start.agent,
    model: start.model,
    tools: start.tools,
    startSha: start.startSha,
    messages: entries.filter((e): e is ResponseLine => e.type === 'response').map((e) => e.message),
    diffSha256: end?.diffSha256,
  };
}

/** A model that answers with the recorded messages, in order, and fails on a call the recording does not hold. */
export function replayClient(messages: readonly Anthropic.Messages.Message[]): ModelClient & { remaining(): number } {
  const queue = [...messages];
  const stream = () => ({
    finalMessage: () => {
      const next = queue.shift();
      if (!next)
        return Promise.reject(
          new Error(
            'replay: the run asked the model for a turn the transcript does not hold (the tool results differed from the recording)',
          ),
        );
      return Promise.resolve(next);
    },
  });
  return { messages: { stream: stream as never }, remaining: () => queue.length };
}
