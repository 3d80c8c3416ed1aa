/**
 * Screenshots pasted into an issue or comment, fetched so the model sees them. Only images uploaded to GitHub are
 * fetched: `<server>/user-attachments/assets/…` (and the older `<server>/<owner>/<repo>/assets/…`) on the run's own
 * server, and on github.com the rendered forms on `private-user-images.githubusercontent.com` (signed with a `jwt`
 * in the URL) and `user-images.githubusercontent.com` (public). Nothing else is fetched: a link to any other host
 * stays a link in the text.
 *
 * The token goes only to the server's own origin (GITHUB_SERVER_URL: github.com, or a GHES host), and never again
 * after a redirect has left it. Redirects are followed by hand, only to the hosts above and the S3 bucket github.com
 * serves attachments from, or on GHES to the server's host and its subdomains (subdomain isolation serves uploads
 * from `media.<host>`). What arrives must be PNG, JPEG, GIF or WebP by its first bytes (the Content-Type header
 * proves nothing), within the byte caps and within the API's 8000-pixel bound; anything else is skipped with a
 * reason the model is told. Nothing here throws: a fetch that fails is a skipped image.
 */
import { imageSize } from 'image-size';
import { errorMessage } from '../errors.ts';
import { isFetchableImageLink, parse, redirectAllowed, serverOf } from './image-links.ts';

export { isFetchableImageLink } from './image-links.ts';

export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

/**
 * At most this many images are fetched per run. Each is at most 3.75 MiB: the API's 5 MB limit applies to the
 * base64 form (4/3 of the bytes). Together they are at most 10 MiB (~13 MiB of base64 in the first request, well
 * under the API's 32 MB request limit). The API refuses images over 8000 px a side.
 */
export const IMAGE_LIMITS = {
  count: 5,
  bytesEach: 3_932_160,
  bytesTotal: 10 * 1024 * 1024,
  maxSide: 8000,
  redirects: 5,
  timeoutMs: 20_000,
} as const;

export interface ImageAccess {
  /** GITHUB_SERVER_URL: `https://github.com`, or the GHES server. */
  readonly serverUrl: string;
  /** The run's GitHub token: sent only to the server's own origin. */
  readonly token: string;
  /** Bound on the whole batch (default IMAGE_LIMITS.timeoutMs). */
  readonly timeoutMs?: number;
  /** The run's cancellation. */
  readonly signal?: AbortSignal;
}

export type FetchedImage =
  | {
      readonly ok: true;
      readonly url: string;
      readonly mediaType: ImageMediaType;
      readonly data: Buffer;
      readonly width: number;
      readonly height: number;
    }
  | { readonly ok: false; readonly url: string; readonly reason: string };

/** The media type by the file's first bytes: PNG, JPEG, GIF or WebP, else undefined. */
export function sniffImageType(b: Uint8Array): ImageMediaType | undefined {
  const ascii = (from: number, to: number) => Buffer.from(b.subarray(from, to)).toString('latin1');
  if (b.length >= 8 && ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'image/gif';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(2).replace(/\.?0+$/, '')} MiB`;
}

class Skip extends Error {}

/** The body, read up to the cap: a larger one is refused as soon as it is known to be (header or bytes). */
async function readCapped(res: Response, cap: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > cap) {
    await res.body?.cancel().catch(() => {});
    throw new Skip(`too large (${mib(declared)}, over the ${mib(cap)} cap for an image)`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      throw new Skip(`too large (over the ${mib(cap)} cap for an image)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Follows the redirects by hand: only to allowed hosts, the token only while on the server's origin. */
async function download(url: string, access: ImageAccess, server: URL, signal: AbortSignal): Promise<Buffer> {
  let current = new URL(url);
  let tokenAllowed = true;
  for (let hop = 0; ; hop++) {
    // The token rides only on a request to the server's own origin, and never after the chain has left it.
    tokenAllowed &&= current.origin === server.origin;
    const headers: Record<string, string> = { 'user-agent': 'backend-developer-action', accept: 'image/*' };
    if (tokenAllowed && access.token) headers.authorization = `token ${access.token}`;
    const res = await fetch(current, { headers, redirect: 'manual', signal });
    if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
      await res.body?.cancel().catch(() => {});
      if (hop >= IMAGE_LIMITS.redirects) throw new Skip(`more than ${IMAGE_LIMITS.redirects} redirects`);
      const next = parse(new URL(res.headers.get('location')!, current).href);
      if (!next || !redirectAllowed(next, server))
        throw new Skip(`redirected to a host that is not allowed (${next?.host ?? 'an invalid URL'})`);
      current = next;
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Skip(`the server answered HTTP ${res.status}`);
    }
    return readCapped(res, IMAGE_LIMITS.bytesEach);
  }
}

/** One image: fetched, checked by its bytes and its size in pixels. */
async function fetchOne(url: string, access: ImageAccess, server: URL, signal: AbortSignal): Promise<FetchedImage> {
  try {
    const data = await download(url, access, server, signal);
    const mediaType = sniffImageType(data);
    if (!mediaType) return { ok: false, url, reason: 'not a PNG, JPEG, GIF or WebP image' };
    let size: { width?: number; height?: number };
    try {
      size = imageSize(data);
    } catch (e) {
      return { ok: false, url, reason: `its size could not be read (${errorMessage(e)})` };
    }
    const width = size.width ?? 0;
    const height = size.height ?? 0;
    if (!width || !height) return { ok: false, url, reason: 'its size could not be read' };
    if (width > IMAGE_LIMITS.maxSide || height > IMAGE_LIMITS.maxSide) {
      // Scaling down needs an image codec (a native library); the run refuses instead and says so.
      return {
        ok: false,
        url,
        reason: `too large (${width}×${height} px; the model takes at most ${IMAGE_LIMITS.maxSide} px a side)`,
      };
    }
    return { ok: true, url, mediaType, data, width, height };
  } catch (e) {
    if (e instanceof Skip) return { ok: false, url, reason: e.message };
    if (access.signal?.aborted) return { ok: false, url, reason: 'the run was cancelled' };
    if (signal.aborted)
      return {
        ok: false,
        url,
        reason: `not fetched in time (${(access.timeoutMs ?? IMAGE_LIMITS.timeoutMs) / 1000} s)`,
      };
    return { ok: false, url, reason: `the fetch failed (${errorMessage(e)})` };
  }
}

/**
 * Fetches the images at these links, in parallel, bounded by a timeout, in the order given. Links that are not
 * fetchable (see {@link isFetchableImageLink}) and those past the count cap are skipped with a reason; so is an
 * image that would take the total past its cap. Never throws.
 */
export async function fetchImages(urls: readonly string[], access: ImageAccess): Promise<FetchedImage[]> {
  const server = serverOf(access.serverUrl);
  const timeout = AbortSignal.timeout(access.timeoutMs ?? IMAGE_LIMITS.timeoutMs);
  const signal = access.signal ? AbortSignal.any([access.signal, timeout]) : timeout;
  let wanted = 0;
  const results = await Promise.all(
    urls.map(async (url): Promise<FetchedImage> => {
      if (!isFetchableImageLink(url, access.serverUrl))
        return { ok: false, url, reason: 'its host is not allowed (only images uploaded to GitHub are fetched)' };
      if (++wanted > IMAGE_LIMITS.count)
        return { ok: false, url, reason: `at most ${IMAGE_LIMITS.count} images are fetched per run` };
      return fetchOne(url, access, server, signal);
    }),
  );
  let total = 0;
  return results.map((r) => {
    if (!r.ok) return r;
    if (total + r.data.length > IMAGE_LIMITS.bytesTotal)
      return { ok: false, url: r.url, reason: `the images together would exceed ${mib(IMAGE_LIMITS.bytesTotal)}` };
    total += r.data.length;
    return r;
  });
}
