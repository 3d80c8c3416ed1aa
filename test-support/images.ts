/**
 * Images for tests, and a loopback host serving them: real PNG files of any size (grey pixels, deflated, with CRCs:
 * any decoder opens them), and a server whose answers each test scripts by path, recording every request with its
 * Authorization header so a test can prove where the token travelled.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid greyscale PNG of this size; `shade` varies the pixels (so two images differ). */
export function pngBytes(width: number, height: number, shade = 0x80): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(width + 1, shade);
  row[0] = 0; // filter: none
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface AssetRequest {
  readonly path: string;
  readonly authorization: string | undefined;
}

/** What the host answers for a path: a body (200), a redirect, or a handler of its own. */
export type AssetRoute =
  | { readonly body: Buffer; readonly contentType?: string; readonly contentLength?: boolean }
  | { readonly redirect: string }
  | ((req: IncomingMessage, res: ServerResponse) => void);

export interface AssetHost {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: AssetRequest[];
  route(path: string, r: AssetRoute): void;
  close(): Promise<void>;
}

/** A loopback host for images: unknown paths answer 404. */
export async function startAssetHost(): Promise<AssetHost> {
  const routes = new Map<string, AssetRoute>();
  const requests: AssetRequest[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path, authorization: req.headers.authorization });
    const r = routes.get(path);
    if (!r) return void res.writeHead(404).end('not found');
    if (typeof r === 'function') return r(req, res);
    if ('redirect' in r) return void res.writeHead(302, { location: r.redirect }).end();
    const headers: Record<string, string> = { 'content-type': r.contentType ?? 'image/png' };
    if (r.contentLength !== false) headers['content-length'] = String(r.body.length);
    res.writeHead(200, headers);
    res.end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    route: (path, r) => void routes.set(path, r),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
