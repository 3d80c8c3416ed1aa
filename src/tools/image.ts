/**
 * Images Read shows the model (as image blocks, see ToolResult.images): PNG, JPEG, GIF and WebP, recognised by their
 * first bytes (not the file name), within the Messages API's limits. An image over them is refused with a message
 * saying which limit and how to make a smaller copy; the API would refuse the whole request instead.
 */
import { imageSize } from 'image-size';
import type { ToolImage } from './result.ts';

/** The API's cap on one image: 5 MiB of base64 data. */
export const MAX_IMAGE_BASE64_BYTES = 5 * 1024 * 1024;
/** The API refuses an image with a side over this many pixels. */
export const MAX_IMAGE_SIDE = 8000;
/** The largest file whose base64 fits MAX_IMAGE_BASE64_BYTES. */
export const MAX_IMAGE_FILE_BYTES = Math.floor(MAX_IMAGE_BASE64_BYTES / 4) * 3;

/** The image format of a file's first bytes, or null. */
export function sniffImage(head: Uint8Array): ToolImage['mediaType'] | null {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (
    b.length >= 12 &&
    b.subarray(0, 4).toString('latin1') === 'RIFF' &&
    b.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  return null;
}

/** A PDF starts with `%PDF-`. */
export function isPdf(head: Uint8Array): boolean {
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).subarray(0, 5).toString('latin1') === '%PDF-';
}

export type ImageCheck = { ok: true; image: ToolImage; width: number; height: number } | { ok: false; why: string };

/** Checks a whole image file against the API's limits; the image to send, or why it cannot be sent. */
export function checkImage(data: Buffer, mediaType: ToolImage['mediaType']): ImageCheck {
  const tooBig = imageBytesProblem(data.length);
  if (tooBig) return { ok: false, why: tooBig };
  let size: { width?: number; height?: number };
  try {
    size = imageSize(data);
  } catch (e) {
    return { ok: false, why: `its ${mediaType} data could not be read (${(e as Error).message})` };
  }
  const width = size.width ?? 0;
  const height = size.height ?? 0;
  if (!width || !height) return { ok: false, why: `its ${mediaType} header gives no size` };
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    return {
      ok: false,
      why: `it is ${width}x${height} pixels, over the API's limit of ${MAX_IMAGE_SIDE} pixels a side`,
    };
  }
  return { ok: true, image: { mediaType, data: data.toString('base64') }, width, height };
}

/** Why an image file of this many bytes cannot be sent, or null (checked before the file is read whole). */
export function imageBytesProblem(bytes: number): string | null {
  if (bytes <= MAX_IMAGE_FILE_BYTES) return null;
  return `it is ${mb(bytes)}, over the API's limit of ${mb(MAX_IMAGE_BASE64_BYTES)} per image (as base64, about ${mb(MAX_IMAGE_FILE_BYTES)} of file)`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
