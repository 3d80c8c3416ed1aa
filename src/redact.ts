/**
 * Masks secret values — and the encodings they travel in (base64 of the value, of "x-access-token:<value>" as
 * actions/checkout's extraheader carries it, URL-encoded, hex) — in any text the action writes out.
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 6) continue;
    forms.add(s);
    forms.add(Buffer.from(s).toString('base64'));
    forms.add(Buffer.from(`x-access-token:${s}`).toString('base64'));
    forms.add(encodeURIComponent(s));
    forms.add(Buffer.from(s).toString('hex'));
    if (s.length >= 12) for (const core of base64Cores(s)) forms.add(core);
  }
  const list = [...forms].sort((a, b) => b.length - a.length);
  if (!list.length) return (t) => t;
  const re = new RegExp(list.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(re, '***');
}

/**
 * The base64 characters that encode `s` alone wherever it sits in a longer text (`base64 -w0` of a whole file): at
 * each of the three byte offsets mod 3, the characters that depend only on the secret's bytes.
 */
function base64Cores(s: string): string[] {
  const bytes = Buffer.from(s);
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const first = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * (k + bytes.length)) / 6);
    out.push(b64.slice(first, end));
  }
  return out;
}
