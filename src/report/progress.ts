/**
 * The live progress comment: a checklist of phases and the tools in use, published at most every `minIntervalMs`
 * (GitHub's secondary rate limits punish chatty updates) and always once more at the end.
 */
export class Progress {
  private readonly phases: Array<{ name: string; done: boolean }> = [];
  private readonly tools = new Map<string, number>();
  private detail = '';
  private lastPublished = 0;
  private pending: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly header: string;
  private readonly publish: (body: string) => Promise<void>;
  private readonly minIntervalMs: number;

  constructor(header: string, publish: (body: string) => Promise<void>, minIntervalMs = 10_000) {
    this.header = header;
    this.publish = publish;
    this.minIntervalMs = minIntervalMs;
  }

  phase(name: string): void {
    const last = this.phases[this.phases.length - 1];
    if (last) last.done = true;
    this.phases.push({ name, done: false });
    this.schedule();
  }

  tool(name: string, detail: string): void {
    this.tools.set(name, (this.tools.get(name) ?? 0) + 1);
    this.detail = `${name}: ${detail}`.slice(0, 120);
    this.schedule();
  }

  render(): string {
    const lines = [this.header, ''];
    for (const p of this.phases) lines.push(`- [${p.done ? 'x' : ' '}] ${p.name}`);
    if (this.tools.size) {
      lines.push('', `Tools used: ${[...this.tools].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
      if (this.detail) lines.push(`Latest: \`${this.detail.replace(/`/g, "'")}\``);
    }
    return lines.join('\n');
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastPublished + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Without a body, flush() never rejects: a failed checklist update is dropped there.
      void this.flush();
    }, wait);
    this.timer.unref();
  }

  /**
   * Publishes now (after any update in flight). A checklist update that fails is dropped: progress must never break
   * the run. A final body given explicitly rejects on failure, so the caller can report it another way.
   */
  flush(body?: string): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastPublished = Date.now();
    const text = body ?? this.render();
    const published = this.pending.then(() => this.publish(text));
    this.pending = published.catch(() => {});
    return body === undefined ? this.pending : published;
  }
}
