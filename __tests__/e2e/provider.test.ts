import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, type Scenario } from '../../test-support/scenario.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// A run that reaches the agent sets up its bubblewrap sandbox; the input errors before it need nothing.
const sandboxed = requireTools('bwrap');

let s: Scenario;
before(async () => {
  s = await createScenario({
    script: [
      { content: [{ type: 'text', text: 'Nothing to change.\nSTATUS: COMPLETE\nSUMMARY: looked\nFILES: none' }] },
    ],
  });
});
after(() => s.close());

test('provider bedrock without a region: one line naming AWS_REGION, no model request', async () => {
  const run = await s.run(s.comment({ body: '/backend-developer hi' }), {
    provider: 'bedrock',
    'anthropic-api-key': '',
  });
  assert.equal(run.code, 1);
  const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
  assert.equal(errors.length, 1, run.stdout);
  assert.match(errors[0]!, /provider bedrock: no AWS region\. Set AWS_REGION/);
  assert.equal(s.anthropic.requests.length, 0);
});

test(
  'provider bedrock: the run reaches the Bedrock route, SigV4-signed, with the mapped model id',
  { skip: sandboxed.skip },
  async () => {
    const run = await s.run(
      s.comment({ body: '/backend-developer look around' }),
      { provider: 'bedrock', 'anthropic-api-key': '' },
      {
        env: {
          AWS_REGION: 'us-east-2',
          AWS_ACCESS_KEY_ID: 'AKIDE2ETEST',
          AWS_SECRET_ACCESS_KEY: 'e2e-secret',
          ANTHROPIC_BEDROCK_BASE_URL: s.anthropic.bedrockUrl,
        },
      },
    );
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.outputs['status'], 'COMPLETE', run.stdout);
    const rec = s.anthropic.requests.at(-1)!;
    assert.equal(rec.path, '/model/global.anthropic.claude-sonnet-5-5/invoke-with-response-stream');
    assert.match(
      rec.headers['authorization']!,
      /^AWS4-HMAC-SHA256 Credential=AKIDE2ETEST\/\d{8}\/us-east-2\/bedrock\/aws4_request/,
    );
    // The AWS secret is masked for the runner (::add-mask::) and appears nowhere else.
    const visible =
      run.stdout.replace(/^::add-mask::.*$/gm, '') + run.stderr + run.summary + JSON.stringify(run.outputs);
    assert.ok(!visible.includes('e2e-secret'), 'the AWS secret key is not printed');
    assert.match(run.stdout, /^::add-mask::e2e-secret$/m);
    s.anthropic.assertNoViolations();
  },
);
