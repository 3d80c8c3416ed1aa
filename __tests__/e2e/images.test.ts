// A screenshot in the issue reaches the model, through dist/index.js: the issue body links an upload on the server
// (GITHUB_SERVER_URL is the stand-in, so `<server>/user-attachments/assets/<id>` is what github.com's links are
// there), the action fetches it with the token, and the first request to the model carries its exact bytes as an
// image block, after the text that marks where it sat. A link to another host is left alone and never fetched.
import assert from 'node:assert/strict';
import { createScenario, GITHUB_TOKEN, type Scenario } from '../../test-support/scenario.ts';
import { pngBytes, startAssetHost, type AssetHost } from '../../test-support/images.ts';
import { requireTools } from '../../test-support/system-tools.ts';
import type { MessagesRequest } from '../../test-support/anthropic-server.ts';

// The run reaches the agent, so the action sets up its bubblewrap sandbox. Skipped without it, failed under CI=true.
const { test, after, before } = requireTools('bwrap');

const SHOT = pngBytes(320, 200, 0x42);
const ID = '5f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

let s: Scenario;
let elsewhere: AssetHost;
let firstRequest: MessagesRequest | undefined;

before(async () => {
  elsewhere = await startAssetHost();
  elsewhere.route('/shot.png', { body: pngBytes(2, 2) });
  s = await createScenario({
    attachments: { [ID]: SHOT, 'not-an-image': Buffer.from('<html>not an image</html>') },
    issueTitle: 'The save button overlaps the footer',
    // Filled in below, once the server's URL is known: the scenario adds the issue as it starts.
    issueBody: 'placeholder',
    script: [
      {
        content: [{ type: 'text', text: 'Seen.\n\nSTATUS: COMPLETE\nSUMMARY: Looked at the screenshot\nFILES: none' }],
        expect: (req) => {
          firstRequest = req;
        },
      },
    ],
  });
  const issue = s.gh.state.issues.find((i) => i.number === s.issueNumber)!;
  issue.body = [
    'The button sits on the footer:',
    '',
    `<img width="320" alt="Screenshot" src="${s.http.serverUrl}/user-attachments/assets/${ID}" />`,
    '',
    `Here it is on staging: ![staging](${elsewhere.url}/shot.png)`,
    '',
    `And the log: ![log](${s.http.serverUrl}/user-attachments/assets/not-an-image)`,
  ].join('\n');
});
after(() => Promise.all([s?.close(), elsewhere?.close()]));

test('a screenshot in the issue reaches the model as an image block with its exact bytes', async (t) => {
  const run = await s.run(s.comment({ body: '/backend-developer fix the layout in the screenshot' }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  s.anthropic.assertNoViolations();
  s.gh.assertNoViolations();
  assert.equal(s.anthropic.remaining(), 0);

  const first = firstRequest?.messages[0];
  assert.ok(first && Array.isArray(first.content), 'the first user message is a list of blocks');
  const blocks = first.content as Array<Record<string, unknown>>;
  const images = blocks.filter((b) => b.type === 'image');
  assert.equal(images.length, 1);
  const source = images[0]!.source as { type: string; media_type: string; data: string };
  assert.equal(source.type, 'base64');
  assert.equal(source.media_type, 'image/png');
  assert.ok(Buffer.from(source.data, 'base64').equals(SHOT), 'the bytes the model got are the upload');

  // Text first, marking where the image sat; its label right before it; the skipped one explained.
  const text = (blocks[0] as { text: string }).text;
  assert.match(text, /The button sits on the footer:\n+\[image 1\]/);
  assert.match(text, new RegExp(`!\\[\\]\\(${elsewhere.url.replace(/[.:/]/g, '\\$&')}/shot\\.png\\)`));
  assert.match(text, /And the log: \[image 2\]/);
  assert.deepEqual(blocks[blocks.indexOf(images[0]!) - 1], { type: 'text', text: '[image 1]' });
  assert.match(JSON.stringify(blocks), /image 2 is not shown: not a PNG, JPEG, GIF or WebP image/);
  // The last block of the first turn carries a cache breakpoint, and there are no more than the API allows.
  assert.ok((blocks.at(-1) as { cache_control?: unknown }).cache_control);

  // The token went to the server's uploads, and nothing was fetched from the other host.
  assert.deepEqual(
    s.http.assetRequests.map((r) => [r.path, r.authorization]).sort(),
    [
      [`/user-attachments/assets/${ID}`, `token ${GITHUB_TOKEN}`],
      ['/user-attachments/assets/not-an-image', `token ${GITHUB_TOKEN}`],
    ].sort(),
  );
  assert.equal(elsewhere.requests.length, 0);
  assert.match(run.stdout, /image 2 from the thread skipped: not a PNG, JPEG, GIF or WebP image/);

  const bytes = s.anthropic.requests[0]!.bytes;
  t.diagnostic(`first request: ${bytes} bytes with one ${SHOT.length}-byte image (${source.data.length} base64)`);
});
