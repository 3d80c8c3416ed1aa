// The secret gate's scanner on real repositories: a checkout like actions/checkout leaves it, a branch prepared by the
// Repository, then files written the way an agent would write them. Each case runs the gate as step 8 does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openRepository, type Repository } from '../../src/git/index.ts';
import {
  addedText,
  fileLine,
  formatBlocked,
  formatFinding,
  parseDiff,
  secretForms,
  secretGate,
  unquotePath,
  type GateVerdict,
} from '../../src/security/secret-gate.ts';
import type { StatusBlock } from '../../src/session/status.ts';
import { checkoutLikeActions, createOrigin, git } from '../../test-support/git.ts';

const TOKEN = 'ghs_gateUnitTOKEN0123456789abcdefXYZ';
const API_KEY = 'sk-ant-unit-KEY-0123456789abcdef-gate';
const KNOWN = [TOKEN, API_KEY];
/** Its base64 holds `/` and `+`: base64url differs. */
const URL_SAFE = 'uS4fe???>>>Qz7kW9';
const BRANCH = 'backend-developer/7-gate';
/** A GitHub token shape, an AWS pair and a private key the run does not know: secretlint's rules must find them. */
const GHP = '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';
const AWS_ID = 'AKIAQYLPMN5HHHFPZAM2';
const AWS_SECRET = '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';
const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
const PEM_BODY = PEM.split('\n')[1]!;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

async function workspace(
  base: Record<string, string> = { 'README.md': '# api\n', 'src/app.js': 'module.exports = 1;\n' },
): Promise<{ ws: string; repo: Repository }> {
  const origin = await createOrigin({ files: base });
  const ws = await checkoutLikeActions(origin, { token: TOKEN });
  const repo = await openRepository(ws, {
    token: TOKEN,
    serverUrl: 'https://github.com',
    repoFullName: 'acme/api',
    remoteUrl: origin.url,
  });
  await repo.prepareBranch({ branch: BRANCH, base: 'main', mode: 'issue' });
  return { ws, repo };
}

async function put(ws: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [p, c] of Object.entries(files)) {
    await mkdir(dirname(join(ws, p)), { recursive: true });
    await writeFile(join(ws, p), c);
  }
}

/** Everything a human or the model would read about the verdict: the status after apply, and the notes. */
function reportText(v: GateVerdict, files: string[] = []): string {
  const s = v.apply({ status: 'COMPLETE', summary: 'Did it', files });
  return JSON.stringify({ s, notes: v.notes, result: v.result });
}

/** No secret, and no run of more than 5 of its characters (in any of its forms), in the report. */
function assertNoValue(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const form of [secret, ...secretForms([secret]).map((f) => f.text)]) {
      for (let i = 0; i + 6 <= form.length; i++) {
        const piece = form.slice(i, i + 6);
        assert.ok(!text.includes(piece), `the report holds "${piece}", part of a secret`);
      }
    }
  }
}

function rules(v: GateVerdict): string[] {
  return (v.result?.findings ?? []).map(formatFinding).sort();
}

test(
  'a known secret raw, base64 (every alignment, base64url) and hex: each found at its file and line',
  { timeout: 60_000 },
  async () => {
    const { ws, repo } = await workspace();
    await put(ws, {
      'raw.txt': `one\ntwo token=${TOKEN}\n`,
      'b64-0.txt': `${b64(TOKEN)}\n`,
      'b64-1.txt': `x\n${b64(`a${TOKEN}`)}\n`,
      'b64-2.txt': `x\ny\n${b64(`token: ${TOKEN}\n`)}\n`,
      'b64url.txt': `${b64(URL_SAFE).replace(/\+/g, '-').replace(/\//g, '_')}\n`,
      'header.txt': `AUTHORIZATION: basic ${b64(`x-access-token:${TOKEN}`)}\n`,
      'hex.txt': `${Buffer.from(TOKEN).toString('hex')}\n`,
      'HEX.txt': `const k = "${Buffer.from(API_KEY).toString('hex').toUpperCase()}";\n`,
      'url.txt': `https://x.test/?t=${encodeURIComponent(`${TOKEN}/+`)}\n`,
    });
    const v = await secretGate({ repo, knownSecrets: [...KNOWN, URL_SAFE] });
    assert.equal(v.pass, false);
    assert.deepEqual(rules(v), [
      'HEX.txt:1: known secret (hex)',
      'b64-0.txt:1: known secret (base64)',
      'b64-1.txt:2: known secret (base64)',
      'b64-2.txt:3: known secret (base64)',
      'b64url.txt:1: known secret (base64url)',
      'header.txt:1: known secret (base64)',
      'hex.txt:1: known secret (hex)',
      'raw.txt:2: known secret (raw)',
      'url.txt:1: known secret (raw)',
    ]);
    assertNoValue(reportText(v), [...KNOWN, URL_SAFE]);
    assert.equal(v.apply({ status: 'COMPLETE', summary: 's', files: [] }).status, 'BLOCKED');
  },
);

test(
  "secretlint's recommended rules: an AWS key pair, a GitHub token, a private key block; a disable comment does not help",
  { timeout: 60_000 },
  async () => {
    const { ws, repo } = await workspace();
    await put(ws, {
      'config/aws.ini': `[default]\naws_access_key_id = ${AWS_ID}\naws_secret_access_key = ${AWS_SECRET}\n`,
      'src/gh.js': `// secretlint-disable\nconst t = "${GHP}"; // secretlint-disable-line\n`,
      'deploy/key.pem': `# deploy key\n${PEM}`,
    });
    const v = await secretGate({ repo, knownSecrets: KNOWN });
    assert.equal(v.pass, false);
    assert.deepEqual(rules(v), [
      'config/aws.ini:3: secretlint aws (AWSSecretAccessKey)',
      'deploy/key.pem:2: secretlint privatekey (PrivateKey)',
      'src/gh.js:2: secretlint github (GITHUB_TOKEN)',
    ]);
    const status = v.apply({
      status: 'COMPLETE',
      summary: 'Added config',
      files: ['config/aws.ini', 'deploy/key.pem', 'src/gh.js'],
    });
    assert.equal(status.status, 'BLOCKED');
    assert.match(
      status.blocker!,
      /found 3 likely secrets in the changes, so nothing was committed or pushed: .*config\/aws\.ini:3: secretlint aws/,
    );
    assert.match(
      v.notes[0]!,
      /Not committed: 3 files changed, \+\d+ −0 lines, left in the runner's workspace.*deploy\/key\.pem \(\+\d+ −0\)/,
    );
    assertNoValue(reportText(v), [AWS_SECRET, GHP, PEM_BODY]);
    // A run that had already failed keeps its reason beside the gate's.
    const failed: StatusBlock = {
      status: 'ERROR',
      summary: 's',
      files: [],
      blocker: 'verify-command `npm test` failed (exit 1)',
    };
    assert.match(
      v.apply(failed).blocker!,
      /nothing was committed or pushed.*\(Before the gate: ERROR, verify-command `npm test` failed \(exit 1\)\.\)$/,
    );
  },
);

test(
  'a clean change passes: ordinary code, placeholder fixtures, deletions; the real index is left as it was',
  { timeout: 60_000 },
  async () => {
    const { ws, repo } = await workspace({
      'README.md': '# api\n',
      'src/app.js': 'module.exports = 1;\n',
      'old.txt': 'bye\n',
    });
    await put(ws, {
      'src/app.js': 'const express = require("express");\nmodule.exports = express();\n',
      'test/fixtures/users.json': '{ "email": "user@example.com", "password": "example" }\n',
      '.env.example':
        'DATABASE_URL=postgres://user:password@localhost:5432/app\nSTRIPE_KEY=sk_test_xxx\nAPI_KEY=changeme\n',
    });
    await rm(join(ws, 'old.txt'));
    await git(ws, ['add', 'src/app.js']);
    const before = await git(ws, ['status', '--porcelain']);
    const v = await secretGate({ repo, knownSecrets: KNOWN });
    assert.equal(v.pass, true, rules(v).join('\n'));
    assert.deepEqual(v.notes, []);
    assert.deepEqual(
      v.result!.files.map((f) => `${f.file} +${f.added} -${f.removed}`),
      ['.env.example +3 -0', 'old.txt +0 -1', 'src/app.js +2 -1', 'test/fixtures/users.json +1 -0'],
    );
    assert.equal(await git(ws, ['status', '--porcelain']), before, 'the gate staged nothing in the real index');
  },
);

test(
  'only added lines count: a key already in the repository is not reported; line numbers are in the new file',
  { timeout: 60_000 },
  async () => {
    const { ws, repo } = await workspace({
      'README.md': '# api\n',
      'test/fixture.pem': `${PEM}`,
      'notes.txt': 'a\nb\nc\n',
    });
    await put(ws, { 'test/fixture.pem': `${PEM}# comment\n`, 'notes.txt': `a\nb\nc\nd\ntoken ${TOKEN}\n` });
    const v = await secretGate({ repo, knownSecrets: KNOWN });
    assert.deepEqual(rules(v), ['notes.txt:5: known secret (raw)']);
  },
);

test(
  'binary files: searched for known secrets (found), not by the rules (skipped and said so)',
  { timeout: 60_000 },
  async () => {
    const { ws, repo } = await workspace();
    const noise = Buffer.from([0, 159, 146, 150, 0, 255, 10, 0, 1]);
    await put(ws, {
      'assets/clean.bin': Buffer.concat([noise, Buffer.from(PEM), noise]),
      'assets/token.bin': Buffer.concat([noise, Buffer.from(b64(TOKEN)), noise]),
    });
    const v = await secretGate({ repo, knownSecrets: KNOWN });
    assert.deepEqual(rules(v), ['assets/token.bin:2: known secret (base64)']);
    assert.deepEqual(v.result!.skipped, [
      'assets/clean.bin: binary, searched for known secrets only',
      'assets/token.bin: binary, searched for known secrets only',
    ]);
    assert.ok(v.result!.files.every((f) => f.binary));
    assert.match(v.notes.join('\n'), /assets\/token\.bin \(binary\)/);
  },
);

test(
  "hiding places: the agent's own commits (secret since removed), a commit message, -diff attributes, a file name",
  { timeout: 60_000 },
  async () => {
    const { ws, repo } = await workspace();
    await put(ws, { 'a.txt': `${TOKEN}\n` });
    await git(ws, ['add', '-A']);
    await git(ws, ['commit', '-qm', `add\n\nkey ${b64(API_KEY)}`]);
    await put(ws, {
      'a.txt': 'nothing here\n',
      '.gitattributes': '* -diff binary\n',
      'b.txt': `hex ${Buffer.from(API_KEY).toString('hex')}\n`,
    });
    await put(ws, { [`keys/${Buffer.from(TOKEN).toString('hex')}.txt`]: 'x\n' });
    const v = await secretGate({ repo, knownSecrets: KNOWN });
    assert.equal(v.pass, false);
    const sha = (await git(ws, ['rev-parse', '--short=7', 'HEAD'])).trim();
    assert.deepEqual(rules(v), [
      '(a file whose name holds a secret): 1 file name',
      `a.txt:1 in commit ${sha}: known secret (raw)`,
      'b.txt:1: known secret (hex)',
      `the message of commit ${sha}:3: known secret (base64)`,
    ]);
    const { files } = await repo.changedFiles();
    const status = v.apply({ status: 'COMPLETE', summary: 's', files });
    assert.ok(status.files.includes('(a file whose name holds a secret)'), status.files.join(', '));
    assertNoValue(reportText(v, files), KNOWN);
  },
);

test('a scan that fails blocks the commit as ERROR (fails closed)', async () => {
  const failing = (message: string) => ({ pendingChanges: () => Promise.reject(new Error(message)) });
  const v = await secretGate({ repo: failing('git diff failed: out of memory'), knownSecrets: KNOWN });
  assert.equal(v.pass, false);
  const s = v.apply({ status: 'COMPLETE', summary: 's', files: ['a'] });
  assert.equal(s.status, 'ERROR');
  assert.match(
    s.blocker!,
    /could not scan the changes \(git diff failed: out of memory\), so nothing was committed or pushed/,
  );
  // A reason that names a path holding a secret (in a form the redactor does not know) shows it masked.
  const named = await secretGate({
    repo: failing(`cannot read keys/${Buffer.from(TOKEN).toString('hex').toUpperCase()}.txt`),
    knownSecrets: KNOWN,
  });
  assert.match(named.apply({ status: 'COMPLETE', summary: 's', files: [] }).blocker!, /cannot read keys\/\*\*\*\.txt/);
});

test(
  'bounds: the rules read the first bytes of a file; a known secret past the bound is still found',
  { timeout: 60_000 },
  async () => {
    const { ws, repo } = await workspace();
    const filler = 'abcdefgh\n'.repeat(2000);
    await put(ws, { 'big.txt': `${filler}${GHP}\n${b64(TOKEN)}\n` });
    const v = await secretGate({ repo, knownSecrets: KNOWN, limits: { lintBytesPerFile: 10_000 } });
    assert.deepEqual(rules(v), ['big.txt:2002: known secret (base64)']);
    const bytes = filler.length + GHP.length + 1 + b64(TOKEN).length;
    assert.match(
      v.result!.skipped.join('\n'),
      new RegExp(`^big\\.txt: the rules read the first 9\\d{3} of ${bytes} added bytes$`),
    );
    const all = await secretGate({ repo, knownSecrets: KNOWN });
    assert.deepEqual(rules(all), [
      'big.txt:2001: secretlint github (GITHUB_TOKEN)',
      'big.txt:2002: known secret (base64)',
    ]);
  },
);

// The bound is a hang guard, not a benchmark: on a shared machine the git part (writing 3001 objects, which commitAll
// then finds written) swings widely. The printed figures are what to look at.
test(
  'a big change (3000 files, 20 MB): the gate finishes and says what it read; the time is logged',
  { timeout: 300_000 },
  async () => {
    const { ws, repo } = await workspace();
    await mkdir(join(ws, 'gen'));
    for (let i = 0; i < 3000; i++)
      await writeFile(join(ws, 'gen', `file-${i}.txt`), `line ${i}${'\n'.repeat((i % 7) + 1)}`);
    await writeFile(join(ws, 'gen/big.txt'), '0123456789abcdef\n'.repeat(1_250_000));
    const logged: string[] = [];
    const started = Date.now();
    const cpu = process.cpuUsage();
    const v = await secretGate({
      repo,
      knownSecrets: [...KNOWN, 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      log: (m) => logged.push(m),
    });
    const ms = Date.now() - started;
    const used = process.cpuUsage(cpu);
    console.log(
      `secret gate on 3001 files / 20 MB: ${ms} ms in all, ${Math.round((used.user + used.system) / 1000)} ms CPU in this process; ${logged.join(' ')}`,
    );
    assert.equal(v.pass, true, rules(v).join('\n'));
    assert.equal(v.result!.files.length, 3001);
    assert.ok(v.result!.scannedBytes >= 20_000_000);
    assert.match(
      v.result!.skipped.join('\n'),
      /gen\/big\.txt: the rules read the first 9\d{5} of 21249999 added bytes/,
    );
    assert.ok(ms < 240_000, `${ms} ms`);
  },
);

test('parseDiff: added lines that read like headers stay lines; quoted paths are read back', () => {
  const diff = [
    'commit 0123456789abcdef0123456789abcdef01234567',
    '',
    'diff --git "a/t\\tab \\303\\274.txt" "b/t\\tab \\303\\274.txt"',
    'new file mode 100644',
    '--- /dev/null',
    '+++ "b/t\\tab \\303\\274.txt"',
    '@@ -0,0 +1,3 @@',
    '+diff --git a/x b/x',
    '+commit 89abcdef0123456789abcdef0123456789abcdef',
    '+@@ -1 +1 @@',
    'diff --git a/with space.txt b/with space.txt',
    '--- a/with space.txt',
    '+++ b/with space.txt',
    '@@ -2 +2,2 @@',
    '-old',
    '+new',
    '+more',
    '\\ No newline at end of file',
  ].join('\n');
  const files = [...parseDiff(diff)];
  assert.deepEqual(
    files.map((f) => ({
      path: f.path,
      commit: f.commit,
      text: addedText(f),
      added: f.added,
      removed: f.removed,
      lines: [1, 2, 3].map((n) => fileLine(f, n)),
    })),
    [
      {
        path: 't\tab ü.txt',
        commit: '0123456789abcdef0123456789abcdef01234567',
        text: 'diff --git a/x b/x\ncommit 89abcdef0123456789abcdef0123456789abcdef\n@@ -1 +1 @@',
        added: 3,
        removed: 0,
        lines: [1, 2, 3],
      },
      {
        path: 'with space.txt',
        commit: '0123456789abcdef0123456789abcdef01234567',
        text: 'new\nmore',
        added: 2,
        removed: 1,
        lines: [2, 3, 4],
      },
    ],
  );
  // Several hunks: each run of added lines keeps its own numbering.
  const [multi] = [
    ...parseDiff(
      'diff --git a/m b/m\n--- a/m\n+++ b/m\n@@ -3 +3 @@\n-x\n+X\n@@ -10,0 +11,2 @@\n+y\n+z\n@@ -40,2 +42,0 @@\n-p\n-q\n',
    ),
  ];
  assert.equal(addedText(multi!), 'X\ny\nz');
  assert.equal(addedText(multi!, 5), 'X\ny');
  assert.deepEqual(
    [1, 2, 3].map((n) => fileLine(multi!, n)),
    [3, 11, 12],
  );
  assert.equal(multi!.removed, 3);
  assert.equal(unquotePath('"a\\"b\\\\c"'), 'a"b\\c');
});

test('formatBlocked lists at most 10 findings and 40 files, and never a value', () => {
  const findings = Array.from({ length: 12 }, (_, i) => ({
    file: `f${i}.txt`,
    line: i + 1,
    rule: 'known secret (raw)',
  }));
  const files = Array.from({ length: 45 }, (_, i) => ({ file: `f${i}.txt`, added: 1, removed: 0, binary: false }));
  const { blocker, notes } = formatBlocked({ findings, files, skipped: [], scannedBytes: 1, lintedBytes: 1, ms: 1 });
  assert.match(blocker, /found 12 likely secrets .*f9\.txt:10: known secret \(raw\); and 2 more\./);
  assert.match(notes[0]!, /45 files changed, \+45 −0 lines.*f39\.txt \(\+1 −0\); and 5 more\.$/);
});
