/**
 * An MCP tools/call result as a tool result the model sees: text joined, images (of the kinds the Messages API takes,
 * within its size) as image blocks, resource links and embedded resources described in a line, the whole capped like
 * any tool output. `isError` from the server stays an error result.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { capText, MAX_RESULT_CHARS, type ToolImage, type ToolResult } from '../tools/result.ts';

/** Images one result may carry; more are named in the text instead. */
export const MAX_IMAGES = 4;
/** The Messages API takes images up to 5 MB; base64 characters of that. */
export const MAX_IMAGE_BASE64 = Math.floor((5 * 1024 * 1024 * 4) / 3);
const IMAGE_TYPES = new Set<ToolImage['mediaType']>(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

type Content = CallToolResult['content'][number];

export function mapCallResult(toolName: string, r: CallToolResult): ToolResult {
  const parts: string[] = [];
  const images: ToolImage[] = [];
  for (const c of r.content ?? []) {
    const text = contentText(c, images);
    if (text !== null) parts.push(text);
  }
  // A server that answers with structured content only (the spec asks for a text copy too, not all do).
  if (!parts.length && !images.length && r.structuredContent !== undefined)
    parts.push(JSON.stringify(r.structuredContent));
  const joined = parts.join('\n');
  const content = capText(
    joined || (r.isError ? 'the server reported an error without a message.' : '(no output)'),
    `The MCP tool ${toolName} returned more than ${MAX_RESULT_CHARS} characters; ask it for less (a filter, a limit, a page).`,
  );
  return {
    content: r.isError ? `${toolName}: ${content}` : content,
    isError: r.isError === true,
    ...(images.length ? { images } : {}),
  };
}

/** One content item as text (null when it became an image only). */
function contentText(c: Content, images: ToolImage[]): string | null {
  switch (c.type) {
    case 'text':
      return c.text;
    case 'image': {
      const mediaType = c.mimeType as ToolImage['mediaType'];
      if (!IMAGE_TYPES.has(mediaType))
        return `[image of type ${c.mimeType} not shown: the model takes PNG, JPEG, GIF or WebP]`;
      if (c.data.length > MAX_IMAGE_BASE64) return `[${c.mimeType} image not shown: over the 5 MB the model takes]`;
      if (images.length >= MAX_IMAGES)
        return `[${c.mimeType} image not shown: at most ${MAX_IMAGES} images per result]`;
      images.push({ mediaType, data: c.data });
      return null;
    }
    case 'audio':
      return `[audio (${c.mimeType}) not shown: the model takes no audio]`;
    case 'resource_link':
      return `[resource link: ${c.uri}${c.name ? ` (${c.name})` : ''}${c.mimeType ? `, ${c.mimeType}` : ''}${c.description ? ` — ${c.description}` : ''}]`;
    case 'resource': {
      const res = c.resource;
      if ('text' in res && typeof res.text === 'string') return `[resource ${res.uri}]\n${res.text}`;
      return `[resource ${res.uri}${res.mimeType ? ` (${res.mimeType})` : ''}: binary content not shown]`;
    }
    default:
      return `[content of type ${(c as { type: string }).type} not shown]`;
  }
}
