/**
 * HTML to Markdown for WebFetch: parse5 (through rehype-parse) reads the page as a browser would, hast-util-to-mdast
 * (rehype-remark) turns it into Markdown with GFM tables. The same unified family already renders the prompt
 * (session/prompt.ts), so this adds two small packages and no second HTML parser. Bundled as its own file
 * (dist/html-markdown.js, see scripts/bundle.mjs) that web-fetch.ts imports on the first HTML page: a run that fetches
 * nothing never parses it.
 *
 * What a reader of the page does not see is left out before the conversion: scripts, styles, templates, forms,
 * elements marked hidden (the `hidden` attribute, `aria-hidden="true"`, an inline `display:none` or
 * `visibility:hidden`), so text hidden in a page cannot ride along into the model's context unnoticed. Navigation,
 * headers, footers and asides go too when the page has a `<main>` or a single `<article>`: then only that is kept.
 */
import type { Element, ElementContent, Root, RootContent } from 'hast';
import rehypeParse from 'rehype-parse';
import rehypeRemark from 'rehype-remark';
import remarkGfm from 'remark-gfm';
import remarkStringify from 'remark-stringify';
import { unified } from 'unified';

export interface PageMarkdown {
  /** The page's `<title>`, whitespace collapsed; '' when it has none. */
  readonly title: string;
  readonly markdown: string;
}

/** Never shown to a reader, or not content. */
const DROPPED = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'object',
  'embed',
  'canvas',
  'svg',
  'math',
  'form',
  'button',
  'select',
  'input',
  'textarea',
  'dialog',
]);

/** Page furniture, dropped only when a main part was found (elsewhere they may be all the page has). */
const FURNITURE = new Set(['nav', 'header', 'footer', 'aside']);

export function htmlToMarkdown(html: string): PageMarkdown {
  const tree = unified().use(rehypeParse).parse(html);
  const title = titleOf(tree);
  const main = findMain(tree);
  const root: Root = main ? { type: 'root', children: [main] } : tree;
  prune(root, main !== null);
  const processor = unified()
    .use(rehypeRemark)
    .use(remarkGfm)
    .use(remarkStringify, { bullet: '-', fences: true, rule: '-' });
  const mdast = processor.runSync(root);
  const markdown = processor
    .stringify(mdast)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { title, markdown };
}

function isElement(n: RootContent | ElementContent | Root): n is Element {
  return n.type === 'element';
}

function textOf(n: Root | ElementContent): string {
  if (n.type === 'text') return n.value;
  if (n.type === 'element' || n.type === 'root') return n.children.map((c) => textOf(c as ElementContent)).join('');
  return '';
}

function titleOf(tree: Root): string {
  let title = '';
  walk(tree, (el) => {
    if (el.tagName === 'title' && !title) title = textOf(el).replace(/\s+/g, ' ').trim();
    return !title;
  });
  return title;
}

/** `<main>` (or role=main), else the page's only `<article>`, else null. */
function findMain(tree: Root): Element | null {
  let main: Element | null = null;
  const articles: Element[] = [];
  walk(tree, (el) => {
    if (!main && (el.tagName === 'main' || el.properties.role === 'main')) main = el;
    if (el.tagName === 'article') articles.push(el);
    return true;
  });
  return main ?? (articles.length === 1 ? articles[0]! : null);
}

/** Calls `visit` on every element, depth first; `visit` returning false stops the walk. */
function walk(node: Root | Element, visit: (el: Element) => boolean): boolean {
  for (const child of node.children) {
    if (!isElement(child)) continue;
    if (!visit(child) || !walk(child, visit)) return false;
  }
  return true;
}

function hidden(el: Element): boolean {
  const p = el.properties;
  if (p.hidden !== undefined && p.hidden !== false) return true;
  if (String(p.ariaHidden) === 'true') return true;
  const style = typeof p.style === 'string' ? p.style.replace(/\s+/g, '').toLowerCase() : '';
  return /(^|;)(display:none|visibility:hidden)/.test(style);
}

function prune(node: Root | Element, dropFurniture: boolean): void {
  node.children = node.children.filter((c) => {
    if (c.type === 'comment' || c.type === 'doctype') return false;
    if (!isElement(c)) return true;
    if (DROPPED.has(c.tagName) || hidden(c)) return false;
    if (dropFurniture && FURNITURE.has(c.tagName)) return false;
    return true;
  });
  for (const c of node.children) if (isElement(c)) prune(c, dropFurniture);
}
