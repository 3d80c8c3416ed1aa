/**
 * Which image links the action fetches, and where their redirects may lead: see images.ts. Apart from it (no image
 * library) because the task message, in dist/prompt.js, needs only these rules to number the images.
 */
const GITHUB_COM = 'https://github.com';
/** github.com's rendered attachment hosts: the signed private form and the public legacy one. */
const USER_CONTENT_HOSTS = ['private-user-images.githubusercontent.com', 'user-images.githubusercontent.com'];
/** Where github.com's `/user-attachments/assets/…` redirects for public repositories (signed S3 URLs). */
const ATTACHMENT_BUCKET = 'github-production-user-asset-6210df.s3.amazonaws.com';

export function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

export function serverOf(serverUrl: string): URL {
  return parse(serverUrl.replace(/\/+$/, '')) ?? new URL(GITHUB_COM);
}

function isGitHubCom(server: URL): boolean {
  return server.origin === GITHUB_COM;
}

/** Paths of uploads on the server: `/user-attachments/assets/<id>` and `/<owner>/<repo>/assets/<n>/<id>`. */
const SERVER_ASSET_PATH = /^\/(?:user-attachments\/assets\/[\w-]+|[\w.-]+\/[\w.-]+\/assets\/\d+\/[\w-]+)\/?$/;

/** Is this link one we fetch? Only GitHub's uploads (see images.ts); everything else stays a link. */
export function isFetchableImageLink(url: string, serverUrl: string): boolean {
  const u = parse(url);
  const server = serverOf(serverUrl);
  if (!u || u.username || u.password) return false;
  if (u.origin === server.origin) return SERVER_ASSET_PATH.test(u.pathname);
  return isGitHubCom(server) && u.protocol === 'https:' && !u.port && USER_CONTENT_HOSTS.includes(u.hostname);
}

/**
 * May a redirect lead here? On github.com: github.com itself, the link hosts and the attachment bucket, over https.
 * On GHES: the server's host (any port) and its subdomains, over the server's own protocol.
 */
export function redirectAllowed(u: URL, server: URL): boolean {
  if (u.username || u.password) return false;
  if (u.origin === server.origin) return true;
  if (isGitHubCom(server))
    return (
      u.protocol === 'https:' &&
      !u.port &&
      (USER_CONTENT_HOSTS.includes(u.hostname) || u.hostname === ATTACHMENT_BUCKET)
    );
  return (
    u.protocol === server.protocol && (u.hostname === server.hostname || u.hostname.endsWith(`.${server.hostname}`))
  );
}
