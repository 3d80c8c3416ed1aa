/**
 * The sandbox's only way out when the network is limited: an HTTP proxy on a Unix socket (bridged into the
 * sandbox's own loopback by socat) that lets CONNECT tunnels and plain HTTP requests through to allowed hosts only.
 */
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Package registries a build usually needs: the default of `allowed-domains`. Left out on purpose:
 *   - proxy.golang.org and sum.golang.org: the Go module mirror fetches any public module path from its origin on
 *     request, and a checksum-database lookup of a version it has not seen makes it fetch that version through the
 *     mirror; a request naming `attacker.example/x@v0.0.0-<data>` carries data to a host of the command's choosing.
 *     Go projects pre-fetch with `go mod download` in a step before the action (GOPATH/pkg/mod is visible
 *     read-only), or add both hosts to `allowed-domains` knowingly.
 *   - crates.io: cargo's sparse index (index.crates.io) and downloads (static.crates.io) are all a build needs; the
 *     crates.io host serves the web API, publishing among it.
 */
export const DEFAULT_ALLOWED_DOMAINS: readonly string[] = [
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'pypi.org',
  'files.pythonhosted.org',
  'index.crates.io',
  'static.crates.io',
  'rubygems.org',
  'index.rubygems.org',
  'repo.maven.apache.org',
  'repo1.maven.org',
  'plugins.gradle.org',
  'services.gradle.org',
  'api.nuget.org',
  'repo.packagist.org',
];

const DEFAULT_PORTS = new Set([80, 443]);

/**
 * 'example.com' allows that host; '*.example.com' its subdomains (and itself); both on ports 80 and 443 only,
 * unless the entry names a port ('localhost:8080').
 */
export function hostAllowed(host: string, port: number, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((raw) => {
    let a = raw.trim().toLowerCase();
    if (a === '*') return true;
    const m = /^(.*):(\d+)$/.exec(a);
    if (m) {
      if (Number(m[2]) !== port) return false;
      a = m[1] ?? '';
    } else if (!DEFAULT_PORTS.has(port)) return false;
    if (a.startsWith('*.')) return h === a.slice(2) || h.endsWith(a.slice(1));
    return h === a;
  });
}

export interface DomainProxy {
  /** Path of the Unix socket on the host. */
  readonly socketPath: string;
  /** Hosts refused so far (for the run's log). */
  readonly refused: ReadonlySet<string>;
  close(): Promise<void>;
}

export async function startDomainProxy(allowed: readonly string[]): Promise<DomainProxy> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bda-proxy-'));
  const socketPath = path.join(dir, 'proxy.sock');
  const refused = new Set<string>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > 64 * 1024) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      handle(client, head.subarray(0, end + 4), head.subarray(end + 4));
    };
    client.on('data', onData);
  });
  const deny = (client: net.Socket, status: string, why: string): void => {
    client.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`,
    );
  };
  const handle = (client: net.Socket, headBuf: Buffer, rest: Buffer): void => {
    const headText = headBuf.toString('latin1');
    const [requestLine = ''] = headText.split('\r\n');
    const [method = '', target = ''] = requestLine.split(' ');
    let host: string;
    let port: number;
    let forwardHead: Buffer | null = null;
    try {
      if (method === 'CONNECT') {
        const u = new URL(`http://${target}`);
        host = u.hostname;
        port = Number(u.port || 443);
      } else {
        const u = new URL(target);
        if (u.protocol !== 'http:') throw new Error('only http:// URLs can be proxied without CONNECT');
        host = u.hostname;
        port = Number(u.port || 80);
        const lines = headText.split('\r\n');
        lines[0] = `${method} ${u.pathname}${u.search} ${requestLine.split(' ')[2] ?? 'HTTP/1.1'}`;
        forwardHead = Buffer.from(lines.join('\r\n'), 'latin1');
      }
    } catch {
      deny(client, '400 Bad Request', 'The sandbox proxy accepts CONNECT host:port or absolute http:// URLs.\n');
      return;
    }
    host = host.replace(/^\[|\]$/g, '');
    if (!hostAllowed(host, port, allowed)) {
      refused.add(`${host}:${port}`);
      deny(client, '403 Forbidden', `Blocked by the sandbox: ${host}:${port} is not in allowed-domains.\n`);
      return;
    }
    const upstream = net.connect({ host, port });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', (e) => {
      if (!client.destroyed && client.bytesWritten === 0)
        deny(client, '502 Bad Gateway', `Cannot reach ${host}:${port}: ${e.message}\n`);
      else client.destroy();
    });
    upstream.on('connect', () => {
      if (forwardHead) upstream.write(forwardHead);
      else client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (rest.length) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await fsp.chmod(socketPath, 0o666);
  return {
    socketPath,
    refused,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
