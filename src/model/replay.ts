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
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new UserError(`The transcript ${path} is not JSONL: line ${i + 1} is not JSON.`);
      }
    });
  const start = entries.find((e) => e.type === 'start');
  if (!start?.startSha)
    throw new UserError(
      `The transcript ${path} has no start entry with the starting commit: it was not written by this action (or by a version before transcripts could be replayed).`,
    );
  const end = entries.findLast((e) => e.type === 'end');
  return {
    agent: start.agent,
    model: start.model,
    tools: start.tools,
    startSha: start.startSha,
    messages: entries.filter((e) => e.type === 'response').map((e) => e.message),
    diffSha256: end?.diffSha256,
  };
}

/** A model that answers with the recorded messages, in order, and fails on a call the recording does not hold. */
export function replayClient(messages: readonly Anthropic.Messages.Message[]): ModelClient & { remaining(): number } {
  const queue = [...messages];
  const stream = () => ({
    finalMessage: async () => {
      const next = queue.shift();
      if (!next)
        throw new Error(
          'replay: the run asked the model for a turn the transcript does not hold (the tool results differed from the recording)',
        );
      return next;
    },
  });
  return { messages: { stream: stream as never }, remaining: () => queue.length };
}
