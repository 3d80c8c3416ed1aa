/**
 * Where WebFetch and WebSearch may go: the run's `allowed-domains`, matched by the same function as the Bash sandbox's
 * proxy (proxy.ts hostAllowed), plus two rules of their own, checked before any connection:
 *   - http:// is upgraded to https://, as Claude Code does, unless the entry that allows the host names its port
 *     (`localhost:8080`, `127.0.0.1:3000`): a host listed with a port is fetched with the scheme the URL gives.
 *   - A private, loopback, link-local or otherwise non-public address (an IP literal, or what a name resolves to) is
 *     reached only when an entry names that host exactly. `*` and `*.example.com` open public addresses only, so
 *     neither opens the runner's own services, the cloud metadata endpoint (169.254.169.254) or the local network,
 *     and a name that resolves to one of those (DNS rebinding) is refused. The address checked is the address
 *     connected to: the check runs inside the connection's own DNS lookup.
 */
import * as dns from 'node:dns';
import * as net from 'node:net';
import { DEFAULT_ALLOWED_DOMAINS, hostAllowed } from './proxy.ts';
import { ToolError } from './result.ts';

/** The run's allowlist for the web tools: null when the network is off (`allowed-domains: none`). */
export function webAllowlist(domains: readonly string[] | undefined): readonly string[] | null {
  const list = (domains ?? []).map((d) => d.trim()).filter(Boolean);
  if (list.length === 1 && list[0]!.toLowerCase() === 'none') return null;
  return list.length ? list : DEFAULT_ALLOWED_DOMAINS;
}

/** A URL that passed the allowlist. */
export interface WebTarget {
  readonly url: URL;
  /** Lower-case, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  /** An entry names this host exactly: non-public addresses may be reached. */
  readonly exact: boolean;
  /** http:// was upgraded to https://. */
  readonly upgraded: boolean;
}

function portOf(u: URL): number {
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

function hostOf(u: URL): string {
  return u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

/** The allowlist entries that admit host:port, each tried alone with the proxy's own matcher. */
function admitting(host: string, port: number, allowed: readonly string[]): string[] {
  return allowed.filter((e) => hostAllowed(host, port, [e]));
}

/** Parses and checks a URL; a ToolError says what is wrong and what to do. */
export function checkTarget(raw: string, allowed: readonly string[] | null): WebTarget {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ToolError(`'${raw}' is not a valid URL. Give a full URL such as https://docs.python.org/3/.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ToolError(`only http:// and https:// URLs can be fetched, not ${url.protocol}// URLs.`);
  if (url.username || url.password)
    throw new ToolError('URLs with a user name or password are refused; fetch the page without them.');
  if (!allowed) throw new ToolError('the network is off for this run (allowed-domains: none).');
  const host = hostOf(url);
  let matches = admitting(host, portOf(url), allowed);
  let upgraded = false;
  if (url.protocol === 'http:' && !matches.some((e) => /:\d+$/.test(e.trim()))) {
    url = new URL(url.href);
    url.protocol = 'https:';
    upgraded = true;
    matches = admitting(host, portOf(url), allowed);
  }
  if (!matches.length) {
    const shown = allowed.slice(0, 8).join(', ') + (allowed.length > 8 ? `, … (${allowed.length - 8} more)` : '');
    throw new ToolError(
      `${host}${url.port ? `:${url.port}` : ''} is not in allowed-domains, so it cannot be fetched (allowed: ${shown}). ` +
        "Use a page on an allowed host, or ask the workflow's maintainer to add this one to the action's allowed-domains input.",
    );
  }
  const exact = matches.some((e) => e.trim() !== '*' && !e.trim().startsWith('*.'));
  if (!exact && net.isIP(host) && !isPublicAddress(host)) throw new ToolError(nonPublic(host, host));
  return { url, host, port: portOf(url), exact, upgraded };
}

/** May a redirect from `from` to `to` be followed without asking: the same host (give or take `www.`) and port. */
export function sameSite(from: URL, to: URL): boolean {
  const bare = (u: URL) => hostOf(u).replace(/^www\./, '');
  const upgrade = from.protocol === 'http:' && to.protocol === 'https:' && !from.port && !to.port;
  return bare(from) === bare(to) && (from.protocol === to.protocol ? portOf(from) === portOf(to) : upgrade);
}

/** Ranges that are not the public internet (RFC 6890 and friends). */
const NON_PUBLIC = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(a, p, 'ipv4');
// No ::ffff:0:0/96 rule: BlockList checks an IPv4 address against IPv6 rules in its mapped form, so that rule would
// match every IPv4 address. Mapped addresses are unwrapped in isPublicAddress instead.
for (const [a, p] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC.addSubnet(a, p, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (!family) return false;
  if (family === 6) {
    // An IPv4-mapped IPv6 address (::ffff:127.0.0.1, which URLs spell ::ffff:7f00:1) is the IPv4 address it maps.
    const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
    const v4 =
      dotted ??
      (hex ? [hex[1]!, hex[2]!].flatMap((h) => [parseInt(h, 16) >> 8, parseInt(h, 16) & 255]).join('.') : null);
    if (v4) return isPublicAddress(v4);
  }
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function nonPublic(host: string, address: string): string {
  return (
    `${host} ${host === address ? 'is' : `resolves to ${address},`} a private, loopback or link-local address, which ` +
    'is reached only when allowed-domains names the host exactly (a wildcard or * does not open it).'
  );
}

/**
 * The DNS lookup a connection to `target` makes: every address the name resolves to must be public unless the
 * host is listed exactly. Given to http(s).request as `lookup`, so the address checked is the one connected to.
 */
export function guardedLookup(target: WebTarget): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = target.exact ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(new ToolError(nonPublic(hostname, bad.address)), '', 0);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * The domains a web search may return results from: the call's `allowed_domains` intersected with the run's
 * allowlist. The search tool counts a domain's subdomains in, so each side is read as "this domain and below" and the
 * narrower of two overlapping entries is kept. Ports and `*.` are dropped (the search tool takes bare domains).
 * Returns null when the run allows any host (`*`) and the call names none: no restriction.
 */
export function searchDomains(run: readonly string[], call: readonly string[] | undefined): string[] | null {
  const bare = (d: string) =>
    d
      .trim()
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/[/:].*$/, '')
      .replace(/^\*\./, '')
      .replace(/\.$/, '');
  const within = (inner: string, outer: string) => hostAllowed(inner, 443, [`*.${outer}`]);
  const anyHost = run.some((e) => e.trim() === '*');
  const runDomains = anyHost ? [] : [...new Set(run.map(bare).filter(Boolean))];
  const callDomains = call?.length ? [...new Set(call.map(bare).filter(Boolean))] : null;
  if (anyHost) return callDomains;
  if (!callDomains) return runDomains;
  const out = new Set<string>();
  for (const c of callDomains)
    for (const r of runDomains) {
      if (within(c, r)) out.add(c);
      else if (within(r, c)) out.add(r);
    }
  return [...out];
}
