// Markdown text helpers for the summary: lists capped with "… and N more", paths as inline code, cutting to a bound.

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function capList(items: readonly string[], max: number, sep = ', '): string {
  if (items.length <= max) return items.join(sep);
  return `${items.slice(0, max).join(sep)}${sep}… and ${items.length - max} more`;
}

/** A path or command as inline code; control characters and backticks made harmless. */
export function code(s: string): string {
  return `\`${oneLine(s, 160).replace(/`/g, "'")}\``;
}

/** A file name as plain text: one line, no backticks. */
export function plain(s: string): string {
  return oneLine(s, 120).replace(/`/g, "'");
}

export function oneLine(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- control characters (newlines, tabs, escapes) become spaces on purpose
  const flat = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return flat.length > max ? `${cut(flat, max - 1)}…` : flat;
}

/** Cuts at `max` characters without splitting a surrogate pair. */
export function cut(s: string, max: number): string {
  let end = Math.max(0, max);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}

export function bound(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = '\n[… repository context truncated]';
  return cut(text, maxChars - note.length) + note;
}
