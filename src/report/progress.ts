import type { Todo } from '../session/todos.ts';

/**
 * The live progress comment: a checklist of phases, then the agent's plan (its latest TodoWrite list) or, while it
 * has none, the tools in use; published at most every `minIntervalMs` (GitHub's secondary rate limits punish
 * chatty updates) and always once more at the end.
 */
export class Progress {
  private readonly phases: Array<{ name: string; done: boolean }> = [];
  private readonly tools = new Map<string, number>();
  private detail = '';
  private todos: readonly Todo[] = [];
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

  /** The agent's new plan: it replaces the tool log in the comment. */
  plan(todos: readonly Todo[]): void {
    this.todos = todos;
    this.schedule();
  }

  /** The latest plan (empty when the agent kept none), for the job summary. */
  get latestPlan(): readonly Todo[] {
    return this.todos;
  }

  render(): string {
    const lines = [this.header, ''];
    for (const p of this.phases) lines.push(`- [${p.done ? 'x' : ' '}] ${p.name}`);
    if (this.todos.length) lines.push('', renderPlan(this.todos));
    else if (this.tools.size) {
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

/** At most this many plan items are shown; a longer plan ends with "… and N more". */
const PLAN_MAX_ITEMS = 50;
const ITEM_MAX_CHARS = 200;

/**
 * The plan as a Markdown checklist under a "Plan (done/total)" line: done items ticked, the one in progress in bold
 * with its activeForm. The model's words are one line each, with nothing that could become HTML.
 */
export function renderPlan(todos: readonly Todo[]): string {
  const done = todos.filter((t) => t.status === 'completed').length;
  const lines = [`**Plan** (${done}/${todos.length} done)`, ''];
  for (const t of todos.slice(0, PLAN_MAX_ITEMS)) {
    if (t.status === 'completed') lines.push(`- [x] ${itemText(t.content)}`);
    else if (t.status === 'in_progress') lines.push(`- [ ] **${itemText(t.activeForm)}** ⏳`);
    else lines.push(`- [ ] ${itemText(t.content)}`);
  }
  if (todos.length > PLAN_MAX_ITEMS) lines.push(`- … and ${todos.length - PLAN_MAX_ITEMS} more`);
  return lines.join('\n');
}

function itemText(s: string): string {
  // eslint-disable-next-line no-control-regex -- newlines and other control characters would end the list item
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const short = flat.length > ITEM_MAX_CHARS ? `${flat.slice(0, ITEM_MAX_CHARS - 1)}…` : flat;
  return short.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')).replace(/\*\*/g, '\\*\\*');
}
