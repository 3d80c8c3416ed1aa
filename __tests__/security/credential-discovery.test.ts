// Which files are the run's credential files, and which values in them are secrets (src/security/credential-files.ts).
// Unit level: real folders, no action run; the attacks through dist/ are in credential-files.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  credentialChanges,
  findCredentialFiles,
  leaveOutCredentials,
  secretsIn,
  SCAN_MAX_ENTRIES,
} from '../../src/security/credential-files.ts';
import { createRedactor } from '../../src/redact.ts';
import { tempDir, writeFiles } from '../tools/helpers.ts';

const KEY_LINE = 'planted-secret-doNotLeak-7f3a9c';
const serviceAccount = (key = KEY_LINE) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'acme',
    private_key_id: '0123456789abcdef',
    private_key: `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n${key}\n-----END PRIVATE KEY-----\n`,
    client_email: 'ci@acme.iam.gserviceaccount.com',
    client_id: '1234567890',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  });

/** findCredentialFiles with an empty environment and no HOME unless given. */
function find(
  workspace: string,
  o: { env?: NodeJS.ProcessEnv; home?: string; maxDepth?: number; maxEntries?: number } = {},
) {
  return findCredentialFiles({
    workspace,
    env: o.env ?? {},
    home: o.home,
    maxDepth: o.maxDepth,
    maxEntries: o.maxEntries,
  });
}

describe('credential files by name in the workspace', () => {
  it(
    'gha-creds-*.json named by GOOGLE_APPLICATION_CREDENTIALS: found once, its key lines secret, token_uri not',
    { timeout: 30_000 },
    async () => {
      const ws = tempDir('cred-');
      writeFiles(ws, { 'gha-creds-abc123.json': serviceAccount(), 'src/app.ts': 'export {};\n' });
      const r = await find(ws, { env: { GOOGLE_APPLICATION_CREDENTIALS: path.join(ws, 'gha-creds-abc123.json') } });
      assert.deepEqual(r.paths, [path.join(ws, 'gha-creds-abc123.json')]);
      assert.equal(r.reasons.get(r.paths[0]!), 'named by GOOGLE_APPLICATION_CREDENTIALS');
      assert.ok(r.secrets.includes(KEY_LINE), 'each PEM body line is a secret (cat shows the key JSON-escaped)');
      assert.ok(
        r.secrets.includes(fs.readFileSync(r.paths[0]!, 'utf8').trim()),
        'the whole small file is a secret too',
      );
      assert.ok(
        !r.secrets.some((s) => s.startsWith('https://')),
        `no plain URL masked: ${r.secrets.filter((s) => s.startsWith('http')).join(',')}`,
      );
      assert.ok(!r.secrets.includes('ci@acme.iam.gserviceaccount.com') && !r.secrets.includes('1234567890'));

      // Found by its name alone (no variable), nested one level down too.
      writeFiles(ws, { 'deploy/gha-creds-ffff.json': serviceAccount('second-key-line-0123456789') });
      const byName = await find(ws);
      assert.deepEqual(byName.paths, [
        path.join(ws, 'deploy/gha-creds-ffff.json'),
        path.join(ws, 'gha-creds-abc123.json'),
      ]);
      assert.ok(byName.secrets.includes('second-key-line-0123456789'));
    },
  );

  it('a workload-identity gha-creds file: the Authorization header token is secret', async () => {
    const ws = tempDir('cred-');
    const wif = {
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: 'https://sts.googleapis.com/v1/token',
      credential_source: {
        url: 'https://pipelines.actions.githubusercontent.com/x?audience=y',
        headers: { Authorization: 'Bearer oidc-request-token-0123456789' },
        format: { type: 'json' },
      },
    };
    writeFiles(ws, { 'gha-creds-0a1b.json': JSON.stringify(wif) });
    const r = await find(ws);
    assert.equal(r.paths.length, 1);
    assert.ok(r.secrets.includes('oidc-request-token-0123456789'));
    assert.ok(!r.secrets.includes('urn:ietf:params:oauth:token-type:jwt'));
  });

  it('.npmrc, .pypirc, .netrc, .yarnrc.yml, .docker/config.json count only with a literal secret in them', async () => {
    const ws = tempDir('cred-');
    writeFiles(ws, {
      '.npmrc': 'registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_TokenValue0123456789\n',
      'packages/web/.npmrc': 'registry=https://registry.npmjs.org/\nsave-exact=true\n',
      'packages/api/.npmrc':
        '//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}\n@acme:registry=https://npm.pkg.github.com\n',
      'py/.pypirc': '[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcCJDAw\n',
      'py/other/.pypirc': '[distutils]\nindex-servers = pypi\n',
      '.netrc': 'machine api.example.com login bot password n3trc-Passw0rd-xyz\n',
      'yarn/.yarnrc.yml': 'npmRegistryServer: "https://registry.yarnpkg.com"\nnpmAuthToken: "yarn-token-0123456789"\n',
      'yarn2/.yarnrc.yml': 'nodeLinker: node-modules\nnpmAuthToken: "${NPM_TOKEN}"\n',
      '.docker/config.json': JSON.stringify({
        auths: { 'ghcr.io': { auth: Buffer.from('bot:docker-pass-0123').toString('base64') } },
      }),
      'd2/.docker/config.json': JSON.stringify({ auths: {}, credsStore: 'desktop' }),
    });
    const r = await find(ws);
    const rel = r.paths.map((p) => path.relative(ws, p)).sort();
    assert.deepEqual(rel, ['.docker/config.json', '.netrc', '.npmrc', 'py/.pypirc', 'yarn/.yarnrc.yml']);
    for (const s of [
      'npm_TokenValue0123456789',
      'pypi-AgEIcHlwaS5vcmcCJDAw',
      'n3trc-Passw0rd-xyz',
      'yarn-token-0123456789',
      'docker-pass-0123',
    ]) {
      assert.ok(r.secrets.includes(s), `${s} is a secret`);
    }
    assert.ok(!r.secrets.some((s) => s.includes('${')), 'a ${VAR} reference is not a secret');
  });

  it('cargo credentials and .git-credentials are credential files; credentials.toml elsewhere only with a token', async () => {
    const ws = tempDir('cred-');
    writeFiles(ws, {
      '.cargo/credentials.toml': '[registry]\ntoken = "cio_CargoToken0123456789"\n',
      '.git-credentials': 'https://x-access-token:ghs_StoredToken0123456789@github.com\n',
      'docs/credentials.toml': '# template: fill in\n[service]\nurl = "https://example.com"\n',
      'svc/credentials.toml': '[service]\ntoken = "svc-token-0123456789"\n',
    });
    const r = await find(ws);
    assert.deepEqual(r.paths.map((p) => path.relative(ws, p)).sort(), [
      '.cargo/credentials.toml',
      '.git-credentials',
      'svc/credentials.toml',
    ]);
    for (const s of ['cio_CargoToken0123456789', 'ghs_StoredToken0123456789', 'svc-token-0123456789'])
      assert.ok(r.secrets.includes(s), s);
  });
});

describe('credential files named by the environment', () => {
  it('exact names, the *_TOKEN_FILE / *_KEY_FILE / *_CREDENTIALS_FILE rule, path lists and folders; outside the workspace too', async () => {
    const ws = tempDir('cred-');
    const out = tempDir('cred-out-');
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUifQ.c2lnbmF0dXJlLTAxMjM0NTY3';
    writeFiles(out, {
      'oidc/token': `${jwt}\n`,
      'aws/credentials':
        '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG0123\n',
      'kube/a.yaml': 'users:\n- name: ci\n  user:\n    token: kube-token-0123456789\n',
      'kube/b.yaml': 'users: []\n',
      'docker/config.json': JSON.stringify({ auths: { 'r.io': { identitytoken: 'docker-identity-0123456789' } } }),
      'svc.key': 'svc-private-0123456789abcdef',
      'azure-token': 'azure-federated-0123456789abcdef',
      'plain.conf': 'password = not-named-by-a-credential-variable\n',
    });
    writeFiles(ws, { 'conf/app-creds.json': JSON.stringify({ client_secret: 'relative-secret-0123456789' }) });
    const r = await find(ws, {
      env: {
        AWS_WEB_IDENTITY_TOKEN_FILE: path.join(out, 'oidc/token'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(out, 'aws/credentials'),
        KUBECONFIG: `${path.join(out, 'kube/a.yaml')}:${path.join(out, 'kube/b.yaml')}:${path.join(out, 'kube/missing.yaml')}`,
        DOCKER_CONFIG: path.join(out, 'docker'),
        MY_SERVICE_KEY_FILE: path.join(out, 'svc.key'),
        AZURE_FEDERATED_TOKEN_FILE: path.join(out, 'azure-token'),
        // Relative to the workspace, as the action's working directory is.
        DEPLOY_CREDENTIALS_PATH: 'conf/app-creds.json',
        // Not hidden: a folder under the rule's name (never hidden whole), a missing file, an unrelated variable.
        SOME_KEY_PATH: ws,
        API_TOKEN_FILE: path.join(out, 'missing'),
        CONFIG_FILE: path.join(out, 'plain.conf'),
      },
    });
    const expected = [
      'oidc/token',
      'aws/credentials',
      'kube/a.yaml',
      'kube/b.yaml',
      'docker/config.json',
      'svc.key',
      'azure-token',
    ].map((p) => path.join(out, p));
    assert.deepEqual(r.paths, [...expected, path.join(ws, 'conf/app-creds.json')].sort());
    for (const s of [
      jwt,
      'wJalrXUtnFEMI/K7MDENG0123',
      'kube-token-0123456789',
      'docker-identity-0123456789',
      'svc-private-0123456789abcdef',
      'azure-federated-0123456789abcdef',
      'relative-secret-0123456789',
    ]) {
      assert.ok(r.secrets.includes(s), `${s} is a secret`);
    }
    assert.equal(r.reasons.get(path.join(out, 'kube/b.yaml')), 'named by KUBECONFIG');
    assert.ok(!r.secrets.includes('AKIAEXAMPLE'), 'an access key id is not the secret');
  });

  it('a credential file reached through a symlink is hidden by its real path; found by name, only inside the workspace', async () => {
    const ws = tempDir('cred-');
    const out = tempDir('cred-out-');
    writeFiles(out, { 'real-creds.json': serviceAccount() });
    fs.symlinkSync(path.join(out, 'real-creds.json'), path.join(ws, 'gha-creds-link.json'));
    const r = await find(ws, { env: { GOOGLE_APPLICATION_CREDENTIALS: path.join(ws, 'gha-creds-link.json') } });
    assert.deepEqual(r.paths, [path.join(out, 'real-creds.json')]);
    // Found by name only, a link is followed inside the workspace, never out of it: a repository cannot make the
    // action hide (and the sandbox cover) a system file.
    assert.deepEqual((await find(ws)).paths, []);
    writeFiles(ws, { 'keys/sa.json': serviceAccount() });
    fs.symlinkSync('keys/sa.json', path.join(ws, 'gha-creds-inside.json'));
    assert.deepEqual((await find(ws)).paths, [path.join(ws, 'keys/sa.json')]);
  });
});

describe('HOME and the bounds of the workspace walk', () => {
  it('HOME: well-known files at fixed places, never a walk', async () => {
    const ws = tempDir('cred-');
    const home = tempDir('cred-home-');
    writeFiles(home, {
      '.npmrc': '//registry.npmjs.org/:_authToken=home-npm-token-0123456789\n',
      '.git-credentials': 'https://u:home-git-pass-0123456789@example.com\n',
      '.docker/config.json': JSON.stringify({
        auths: { 'x.io': { auth: Buffer.from('u:home-docker-0123').toString('base64') } },
      }),
      '.config/gcloud/application_default_credentials.json': JSON.stringify({
        type: 'authorized_user',
        refresh_token: 'home-refresh-0123456789',
      }),
      'projects/deep/.npmrc': '//registry.npmjs.org/:_authToken=not-looked-at-0123456789\n',
    });
    const r = await find(ws, { home });
    assert.deepEqual(r.paths.map((p) => path.relative(home, p)).sort(), [
      '.config/gcloud/application_default_credentials.json',
      '.docker/config.json',
      '.git-credentials',
      '.npmrc',
    ]);
    assert.ok(r.secrets.includes('home-refresh-0123456789') && r.secrets.includes('home-git-pass-0123456789'));
    assert.ok(!r.secrets.includes('not-looked-at-0123456789'));
  });

  it('skips node_modules and .git, stops at the depth and entry bounds and says so', async () => {
    const ws = tempDir('cred-');
    const tok = (n: string) => `//r/:_authToken=${n}-0123456789\n`;
    writeFiles(ws, {
      'node_modules/pkg/.npmrc': tok('in-node-modules'),
      '.git/.git-credentials': 'https://u:in-dot-git-0123456789@x.io\n',
      'a/b/c/.npmrc': tok('depth-three'),
      'a/b/c/d/e/f/g/.npmrc': tok('depth-seven'),
    });
    const r = await find(ws);
    assert.deepEqual(r.paths, [path.join(ws, 'a/b/c/.npmrc')]);
    assert.equal(r.truncated, true, 'folders were left below the default depth');
    const shallow = await find(ws, { maxDepth: 2 });
    assert.deepEqual(shallow.paths, []);
    const deep = await find(ws, { maxDepth: 10 });
    assert.deepEqual(
      deep.paths.map((p) => path.relative(ws, p)),
      ['a/b/c/.npmrc', 'a/b/c/d/e/f/g/.npmrc'],
    );
    assert.equal(deep.truncated, false);
    const few = await find(ws, { maxEntries: 3, maxDepth: 10 });
    assert.equal(few.truncated, true);
    assert.ok(few.scanned <= 3);
  });

  it(`walks a 20,000-file checkout quickly (bound: ${SCAN_MAX_ENTRIES} entries)`, { timeout: 120_000 }, async () => {
    const ws = tempDir('cred-big-');
    // 20 packages × 20 folders × 50 files, plus a heavy node_modules the walk must skip.
    for (let p = 0; p < 20; p++) {
      for (let d = 0; d < 20; d++) {
        const dir = path.join(ws, `packages/p${p}/src/m${d}`);
        fs.mkdirSync(dir, { recursive: true });
        for (let f = 0; f < 50; f++) fs.writeFileSync(path.join(dir, `f${f}.ts`), '');
      }
    }
    for (let i = 0; i < 200; i++) fs.mkdirSync(path.join(ws, `node_modules/dep${i}/lib`), { recursive: true });
    writeFiles(ws, {
      'packages/p7/.npmrc': '//r/:_authToken=deep-in-monorepo-0123456789\n',
      'gha-creds-1.json': serviceAccount(),
    });
    const t0 = performance.now();
    const r = await find(ws);
    const ms = performance.now() - t0;
    console.log(`credential scan: ${r.scanned} entries in ${ms.toFixed(0)} ms`);
    assert.equal(r.paths.length, 2);
    assert.ok(r.scanned > 20_000 && !r.truncated, `scanned ${r.scanned}`);
    assert.ok(ms < 3000, `the scan took ${ms.toFixed(0)} ms`);
  });
});

describe('secret values and their forms', () => {
  it('secretsIn: a bare token counts only in a known credential file; plain config yields nothing', () => {
    assert.deepEqual(secretsIn('registry=https://registry.npmjs.org/\n', 'text'), []);
    assert.deepEqual(secretsIn('ghp_abcdefghijklmnopqrstuvwxyz0123\n', 'text', false), []);
    assert.deepEqual(secretsIn('ghp_abcdefghijklmnopqrstuvwxyz0123\n', 'text', true), [
      'ghp_abcdefghijklmnopqrstuvwxyz0123',
    ]);
    assert.deepEqual(secretsIn('{"auths":{}}', 'json'), []);
    assert.deepEqual(secretsIn('machine x login y\n', 'netrc'), []);
  });

  it('the redactor masks a secret raw, hex, and base64 at every offset inside a longer text', () => {
    const redact = createRedactor([KEY_LINE]);
    for (const pre of ['', 'a', 'ab', 'abc', '{"private_key": "']) {
      const b64 = Buffer.from(`${pre}${KEY_LINE} and more text after`).toString('base64');
      const out = redact(b64);
      assert.ok(out.includes('***'), `base64 with a ${pre.length}-byte prefix is masked: ${out}`);
    }
    assert.equal(redact(Buffer.from(KEY_LINE).toString('hex')), '***');
    assert.equal(redact(`x ${KEY_LINE} y`), 'x *** y');
    assert.equal(
      redact('nothing secret here, plain words and dXNlcg=='),
      'nothing secret here, plain words and dXNlcg==',
    );
  });
});

describe('never committed', () => {
  it('leaveOutCredentials: credential files among the changed files are split out with a note', async () => {
    const ws = tempDir('cred-');
    writeFiles(ws, { 'gha-creds-1.json': serviceAccount(), 'src/a.ts': '' });
    const { paths } = await find(ws);
    const r = await leaveOutCredentials(['.gitignore', 'gha-creds-1.json', 'src/a.ts'], ws, paths);
    assert.deepEqual(r.changed, ['.gitignore', 'src/a.ts']);
    assert.deepEqual(r.excluded, ['gha-creds-1.json']);
    assert.match(r.note ?? '', /gha-creds-1\.json is a credential file of this run and was left out of the commit/);
    assert.deepEqual(await credentialChanges(['src/a.ts'], ws, paths), []);
    const none = await leaveOutCredentials(['src/a.ts'], ws, []);
    assert.equal(none.note, null);
  });

  it(
    'commitAll with exclude commits the rest and leaves the credential file on disk, untracked',
    { timeout: 60_000 },
    async () => {
      const { openRepository } = await import('../../src/git/index.ts');
      const { createOrigin, checkoutLikeActions } = await import('../../test-support/git.ts');
      const origin = await createOrigin({ files: { 'README.md': 'hi\n', '.gitignore': 'gha-creds-*.json\n' } });
      const ws = await checkoutLikeActions(origin, { token: 'ghs_unused0123456789' });
      try {
        const g = (...args: string[]) => execFileSync('git', ['-C', ws, ...args], { encoding: 'utf8' });
        const repo = await openRepository(ws, {
          token: 'ghs_unused0123456789',
          serverUrl: 'https://github.com',
          repoFullName: 'acme/api',
          remoteUrl: origin.url,
        });
        await repo.prepareBranch({ branch: 'work', base: 'main', mode: 'issue' });
        // The agent un-ignored the credential file and changed something else.
        writeFiles(ws, { '.gitignore': '', 'gha-creds-1.json': serviceAccount(), 'src/a.ts': 'export {};\n' });
        assert.ok(
          (await repo.changedFiles()).files.includes('gha-creds-1.json'),
          'un-ignored, it shows up as a change',
        );
        const sha = await repo.commitAll({
          message: 'work',
          authorName: 'bot',
          authorEmail: 'bot@e',
          coAuthors: [],
          exclude: ['gha-creds-1.json'],
        });
        assert.ok(sha);
        assert.deepEqual(g('show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort(), [
          '.gitignore',
          'src/a.ts',
        ]);
        assert.ok(fs.existsSync(path.join(ws, 'gha-creds-1.json')), 'left on disk for later steps');
        assert.match(g('status', '--porcelain'), /\?\? gha-creds-1\.json/);
      } finally {
        fs.rmSync(ws, { recursive: true, force: true });
        fs.rmSync(origin.root, { recursive: true, force: true });
      }
    },
  );
});
