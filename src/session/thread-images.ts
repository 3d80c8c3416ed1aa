// Images in the thread the model reads: found in the sanitized Markdown (so only what a reader of the page sees:
// an image inside an HTML comment or a code span is not an image), and marked in place with `[image N]` so the
// model knows where each one sat. Imported by prompt.ts only: it lives in dist/prompt.js with the Markdown parser.
import type { Nodes } from 'mdast';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkGfm from 'remark-gfm';

const parser = unified().use(remarkParse).use(remarkGfm).freeze();

interface ImageAt {
  readonly url: string;
  readonly start: number;
  readonly end: number;
}

/** The images of a Markdown text, in order, with where each sits in it. Iterative: a tree can be deep. */
export function imagesIn(markdown: string): ImageAt[] {
  const out: ImageAt[] = [];
  const stack: Nodes[] = [parser.parse(markdown)];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.type === 'image') {
      const { start, end } = node.position ?? {};
      if (start?.offset !== undefined && end?.offset !== undefined)
        out.push({ url: node.url, start: start.offset, end: end.offset });
    }
    if ('children' in node) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Replaces each image that `label` names (a number) by `[image N]`; the others stay as they are. */
export function markImages(markdown: string, label: (url: string) => number | undefined): string {
  let out = '';
  let at = 0;
  for (const img of imagesIn(markdown)) {
    const n = label(img.url);
    if (n === undefined) continue;
    out += `${markdown.slice(at, img.start)}[image ${n}]`;
    at = img.end;
  }
  return out + markdown.slice(at);
}
