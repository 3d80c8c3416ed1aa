// Images from the thread: which links are fetched, and how, against loopback hosts. The token must reach only the
// server's own origin and never survive a redirect off it; redirects go only to allowed hosts; what arrives must be
// an image by its bytes, within the caps; a slow host ends in a skip, never a failed run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchImages, isFetchableImageLink, sniffImageType, IMAGE_LIMITS } from '../../src/github/images.ts';
import { pngBytes, startAssetHost, type AssetHost } from '../../test-support/images.ts';

const TOKEN = 'ghs_imageTestToken0000000000000000000000';
const T = { timeout: 30_000 };

describe('which links are fetched', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['github.com upload', 'https://github.com/user-attachments/assets/1a2b-3c4d', 'https://github.com', true],
    [
      'github.com repo asset (older form)',
      'https://github.com/acme/app/assets/123/0a1b-2c',
      'https://github.com',
      true,
    ],
    [
      'rendered private image',
      'https://private-user-images.githubusercontent.com/1/2-ab.png?jwt=eyJ.x.y',
      'https://github.com',
      true,
    ],
    ['legacy public image', 'https://user-images.githubusercontent.com/1/2-ab.png', 'https://github.com', true],
    ['another host', 'https://img.shields.io/badge/x.svg', 'https://github.com', false],
    ['a look-alike host', 'https://github.com.evil.example/user-attachments/assets/1', 'https://github.com', false],
    ['a github.com page', 'https://github.com/acme/app/blob/main/shot.png', 'https://github.com', false],
    ['http on github.com', 'http://github.com/user-attachments/assets/1', 'https://github.com', false],
    ['credentials in the URL', 'https://x:y@github.com/user-attachments/assets/1', 'https://github.com', false],
    ['raw.githubusercontent.com', 'https://raw.githubusercontent.com/a/b/main/x.png', 'https://github.com', false],
    ['GHES upload', 'https://ghe.example.com/user-attachments/assets/9f-8e', 'https://ghe.example.com', true],
    ['github.com upload on GHES', 'https://github.com/user-attachments/assets/1', 'https://ghe.example.com', false],
    [
      'githubusercontent on GHES',
      'https://private-user-images.githubusercontent.com/1/2.png?jwt=x',
      'https://ghe.example.com',
      false,
    ],
    ['GHES, another port', 'https://ghe.example.com:8443/user-attachments/assets/1', 'https://ghe.example.com', false],
    ['loopback stand-in', 'http://127.0.0.1:8080/user-attachments/assets/abc', 'http://127.0.0.1:8080/', true],
    ['not a URL', 'user-attachments/assets/abc', 'https://github.com', false],
  ];
  for (const [name, url, server, expected] of cases)
    test(name, () => assert.equal(isFetchableImageLink(url, server), expected, `${url} on ${server}`));
});

test('media types come from the bytes', () => {
  assert.equal(sniffImageType(pngBytes(1, 1)), 'image/png');
  assert.equal(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])), 'image/jpeg');
  assert.equal(sniffImageType(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')), 'image/gif');
  assert.equal(sniffImageType(Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1')), 'image/webp');
  assert.equal(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
  assert.equal(sniffImageType(Buffer.from('<!DOCTYPE html><html>')), undefined);
  assert.equal(sniffImageType(Buffer.alloc(0)), undefined);
});

describe('fetching', () => {
  let server: AssetHost; // stands in for GITHUB_SERVER_URL
  let other: AssetHost; // the same host name on another port: an allowed redirect target on GHES, another origin
  const link = (path: string) => `${server.url}${path}`;
  const access = () => ({ serverUrl: server.url, token: TOKEN });
  before(async () => {
    [server, other] = await Promise.all([startAssetHost(), startAssetHost()]);
  });
  after(() => Promise.all([server.close(), other.close()]));

  test('an upload on the server is fetched with the token', T, async () => {
    const png = pngBytes(40, 30);
    server.route('/user-attachments/assets/a1', { body: png });
    const [r] = await fetchImages([link('/user-attachments/assets/a1')], access());
    assert.ok(r?.ok, JSON.stringify(r));
    assert.deepEqual([r.mediaType, r.width, r.height], ['image/png', 40, 30]);
    assert.ok(r.data.equals(png));
    const seen = server.requests.filter((q) => q.path === '/user-attachments/assets/a1');
    assert.deepEqual(
      seen.map((q) => q.authorization),
      [`token ${TOKEN}`],
    );
  });

  test('a redirect to another origin drops the token, and it never comes back', T, async () => {
    const png = pngBytes(8, 8, 0x11);
    server.route('/user-attachments/assets/r1', { redirect: `${other.url}/signed/r1?sig=1` });
    other.route('/signed/r1', { redirect: `${server.url}/storage/r1` });
    server.route('/storage/r1', { body: png });
    const [r] = await fetchImages([link('/user-attachments/assets/r1')], access());
    assert.ok(r?.ok, JSON.stringify(r));
    assert.ok(r.data.equals(png));
    assert.equal(other.requests.find((q) => q.path === '/signed/r1')?.authorization, undefined);
    // Back on the server's origin after leaving it: still no token (the redirect chain is not trusted).
    assert.equal(server.requests.find((q) => q.path === '/storage/r1')?.authorization, undefined);
    assert.ok(server.requests.find((q) => q.path === '/user-attachments/assets/r1')?.authorization);
  });

  test('a redirect off the allowed hosts is refused and never followed', T, async () => {
    const before = other.requests.length;
    // `localhost` is another host name than the server's 127.0.0.1: not allowed, whatever it resolves to.
    const offHost = other.url.replace('127.0.0.1', 'localhost');
    server.route('/user-attachments/assets/x1', { redirect: `${offHost}/steal` });
    const [r] = await fetchImages([link('/user-attachments/assets/x1')], access());
    assert.ok(r && !r.ok);
    assert.match(r.reason, /^redirected to a host that is not allowed \(localhost:\d+\)$/);
    assert.equal(other.requests.length, before, 'the other host was contacted');
  });

  test('a link on another host is never fetched', T, async () => {
    const before = other.requests.length;
    const [r] = await fetchImages([`${other.url}/user-attachments/assets/o1`], access());
    assert.ok(r && !r.ok);
    assert.match(r.reason, /host is not allowed/);
    assert.equal(other.requests.length, before);
  });

  test('what is not an image by its bytes is skipped, whatever its Content-Type says', T, async () => {
    server.route('/user-attachments/assets/h1', {
      body: Buffer.from('<html>sign in</html>'),
      contentType: 'image/png',
    });
    server.route('/user-attachments/assets/s1', {
      body: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      contentType: 'image/svg+xml',
    });
    const rs = await fetchImages([link('/user-attachments/assets/h1'), link('/user-attachments/assets/s1')], access());
    assert.deepEqual(
      rs.map((r) => !r.ok && r.reason),
      ['not a PNG, JPEG, GIF or WebP image', 'not a PNG, JPEG, GIF or WebP image'],
    );
  });

  test('too many bytes: refused by the declared length, or while reading', T, async () => {
    const big = Buffer.concat([pngBytes(1, 1), Buffer.alloc(IMAGE_LIMITS.bytesEach + 1024 * 1024)]);
    server.route('/user-attachments/assets/b1', { body: big });
    server.route('/user-attachments/assets/b2', { body: big, contentLength: false });
    const rs = await fetchImages([link('/user-attachments/assets/b1'), link('/user-attachments/assets/b2')], access());
    assert.equal(!rs[0]!.ok && rs[0]!.reason, 'too large (4.75 MiB, over the 3.75 MiB cap for an image)');
    assert.equal(!rs[1]!.ok && rs[1]!.reason, 'too large (over the 3.75 MiB cap for an image)');
  });

  test('too many pixels for the model: skipped with the size', T, async () => {
    server.route('/user-attachments/assets/w1', { body: pngBytes(IMAGE_LIMITS.maxSide + 1, 2) });
    const [r] = await fetchImages([link('/user-attachments/assets/w1')], access());
    assert.ok(r && !r.ok);
    assert.equal(r.reason, 'too large (8001×2 px; the model takes at most 8000 px a side)');
  });

  test('an error answer is a skip', T, async () => {
    const [r] = await fetchImages([link('/user-attachments/assets/missing')], access());
    assert.deepEqual(r, {
      ok: false,
      url: link('/user-attachments/assets/missing'),
      reason: 'the server answered HTTP 404',
    });
  });

  test('count and total caps, in the order given', T, async () => {
    for (let i = 0; i < 6; i++) server.route(`/user-attachments/assets/c${i}`, { body: pngBytes(2, 2, i) });
    const links = Array.from({ length: 6 }, (_, i) => link(`/user-attachments/assets/c${i}`));
    const rs = await fetchImages(links, access());
    assert.deepEqual(
      rs.map((r) => r.ok),
      [true, true, true, true, true, false],
    );
    assert.equal(!rs[5]!.ok && rs[5]!.reason, 'at most 5 images are fetched per run');
    assert.equal(server.requests.filter((q) => q.path === '/user-attachments/assets/c5').length, 0);

    // Three images just under the per-image cap: the third would take the total past 10 MiB.
    const near = (n: number) => Buffer.concat([pngBytes(3, 3, n), Buffer.alloc(IMAGE_LIMITS.bytesEach - 200)]);
    for (let i = 0; i < 3; i++) server.route(`/user-attachments/assets/t${i}`, { body: near(i) });
    const totals = await fetchImages(
      [0, 1, 2].map((i) => link(`/user-attachments/assets/t${i}`)),
      access(),
    );
    assert.deepEqual(
      totals.map((r) => (r.ok ? 'ok' : r.reason)),
      ['ok', 'ok', 'the images together would exceed 10 MiB'],
    );
  });

  test('a host that does not answer in time: a skip within the bound', T, async () => {
    server.route('/user-attachments/assets/slow', () => {}); // never answers
    server.route('/user-attachments/assets/fast', { body: pngBytes(1, 1) });
    const t0 = Date.now();
    const rs = await fetchImages([link('/user-attachments/assets/slow'), link('/user-attachments/assets/fast')], {
      ...access(),
      timeoutMs: 400,
    });
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
    assert.equal(!rs[0]!.ok && rs[0]!.reason, 'not fetched in time (0.4 s)');
    assert.ok(rs[1]!.ok);
  });

  test('a cancelled run stops the fetches', T, async () => {
    server.route('/user-attachments/assets/hang', () => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('the job was cancelled')), 100);
    const [r] = await fetchImages([link('/user-attachments/assets/hang')], { ...access(), signal: ac.signal });
    assert.equal(r && !r.ok && r.reason, 'the run was cancelled');
  });
});
