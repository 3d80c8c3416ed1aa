// What a reader of an issue or comment sees on GitHub, as Markdown: the text is parsed as GitHub parses it (GFM),
// turned into HTML with its raw HTML kept, cleaned with GitHub's own sanitizer allowlist (hast-util-sanitize's
// default schema follows it), then written back as Markdown for the model. Whatever GitHub does not render (comments,
// tags and attributes off its allowlist: `font`, `input` values, custom elements, `style`...) is gone, because the
// sanitizer keeps only what it knows rather than removing what someone thought to list.
import type { Element, ElementContent, Nodes, Root } from 'hast';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkGfm from 'remark-gfm';
import remarkRehype from 'remark-rehype';
import rehypeRaw from 'rehype-raw';
import rehypeSanitize, { defaultSchema, type Options as Schema } from 'rehype-sanitize';
import rehypeRemark from 'rehype-remark';
import remarkStringify from 'remark-stringify';

/**
 * GitHub's allowlist (the default schema: its tags, its URL protocols), narrowed to the attributes whose value a
 * reader can see or the Markdown we write needs. GitHub keeps `alt`, `title`, `value`, `label`, `summary`, `srcset`,
 * `aria-*`... on the page, but none of them is shown as text (alt only when an image fails to load, title on hover),
 * so they are exactly where hidden instructions would go: they are dropped. Link targets and image sources stay.
 */
export const VISIBLE_SCHEMA: Schema = {
  ...defaultSchema,
  attributes: {
    a: ['href'],
    img: ['src'],
    // A fence's language is not shown by GitHub either, but it helps to read the code: one short word is kept.
    code: [['className', /^language-[\w+#.-]{1,20}$/]],
    // Task list checkboxes (`- [x] done`): the default schema also forces these two on every `input` it keeps.
    input: [['disabled', true], ['type', 'checkbox'], 'checked'],
    li: [['className', 'task-list-item']],
    ol: [['className', 'contains-task-list'], 'start'],
    ul: [['className', 'contains-task-list']],
    td: ['align'],
    th: ['align'],
  },
  // `script` is dropped with its content by GitHub; so are `style`, `noscript` and `template` here (GitHub shows
  // them escaped or not at all: at worst the model misses text the reader saw, never the reverse). Other tags off
  // the list are unwrapped: their content is kept, as GitHub shows it.
  strip: ['script', 'style', 'noscript', 'template'],
};

/**
 * Replaces every element child in the tree by what `fn` returns for it (itself to keep it, [] to drop it), then
 * walks the children that result. Iterative: the tree can be as deep as the text has characters.
 */
function rewriteElements(tree: Root, fn: (el: Element) => ElementContent[]): void {
  const stack: Nodes[] = [tree];
  while (stack.length) {
    const node = stack.pop()!;
    if (!('children' in node)) continue;
    const children: ElementContent[] = [];
    for (const c of node.children as ElementContent[]) {
      if (c.type === 'element') for (const r of fn(c)) children.push(r);
      else children.push(c);
    }
    node.children = children;
    for (const c of children) stack.push(c);
  }
}

/**
 * Elements with the `hidden` attribute go with their content. GitHub strips the attribute and so shows the text,
 * but its author meant it unseen, and GitHub may change its allowlist without notice: nothing legitimate is lost.
 */
function rehypeDropHidden() {
  return (tree: Root): undefined => {
    rewriteElements(tree, (el) => {
      const h = el.properties['hidden'];
      return h === undefined || h === null || h === false ? [el] : [];
    });
  };
}

/**
 * After sanitizing: a link left without a target (a `javascript:` URL removed) or pointing inside the page (footnote
 * references, whose URL spells the footnote's label, which GitHub never shows) is just its text; an image left
 * without a source (a `data:` URL removed) is nothing. The Markdown then has no empty `[x]()` or `![]()`.
 */
function rehypeTidyLinks() {
  return (tree: Root): undefined => {
    rewriteElements(tree, (el) => {
      const url = el.properties[el.tagName === 'a' ? 'href' : 'src'];
      const usable = typeof url === 'string' && url !== '' && !url.startsWith('#');
      if (el.tagName === 'a' && !usable) return el.children;
      if (el.tagName === 'img' && !usable) return [];
      return [el];
    });
  };
}

const processor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(remarkRehype, { allowDangerousHtml: true })
  .use(rehypeRaw)
  .use(rehypeDropHidden)
  .use(rehypeSanitize, VISIBLE_SCHEMA)
  .use(rehypeTidyLinks)
  // GitHub renders a line break in a comment as one: keep line endings rather than joining lines.
  .use(rehypeRemark, { newlines: true })
  .use(remarkStringify, { bullet: '-', fences: true, rule: '-' })
  .freeze();

/** Container markers (`>`, list bullets) at the start of a line: quotes or lists nested this deep on one line. */
const DEEP_NESTING = /^(?:[ \t]*(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t]))){33,}/m;

/** A text `visibleMarkdown` cannot render safely; the message says why. */
export class UnrenderableText extends Error {}

/**
 * The visible part of GitHub Markdown, as Markdown. Throws UnrenderableText when the text cannot be rendered safely:
 * quotes or lists nested more than 32 deep on one line (the parser's time grows with the square of the depth; no
 * real issue nests that deep), a tree too deep for the converters' recursion, or any other failure of theirs.
 */
export function visibleMarkdown(markdown: string): string {
  if (DEEP_NESTING.test(markdown)) throw new UnrenderableText('quotes or lists nested more than 32 levels deep');
  try {
    return String(processor.processSync(markdown));
  } catch (e) {
    // A RangeError is the call stack: some converters recurse once per level of nesting.
    throw new UnrenderableText(e instanceof RangeError ? 'elements nested too deeply to render' : String(e));
  }
}
