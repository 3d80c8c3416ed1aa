import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { silentLogger, type Logger } from '../log.ts';

/**
 * The run as JSONL — model requests and answers, tool calls and results, timings — with secrets redacted.
 * Opened lazily, so a run that never reaches the model writes nothing.
 */
export class Transcript {
  readonly path: string;
  private stream: WriteStream | undefined;
  private readonly redact: (s: string) => string;
  private readonly t0 = Date.now();
  private readonly log: Logger;

  constructor(path: string, redact: (s: string) => string, log: Logger = silentLogger) {
    this.path = path;
    this.redact = redact;
    this.log = log;
  }

  write(entry: object): void {
    if (!this.stream) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
      // A full or read-only RUNNER_TEMP loses the transcript, never the run.
      this.stream.on('error', (e) => this.log.warning(`Transcript ${this.path}: ${e.message}`));
    }
    this.stream.write(this.redact(JSON.stringify({ t: Date.now() - this.t0, ...entry })) + '\n');
  }

  close(): Promise<void> {
    const s = this.stream;
    return s ? new Promise((r) => s.end(r)) : Promise.resolve();
  }
}
