// `npm run demo`: one whole run of the action, offline. The committed dist/index.js runs as the runner would run
// it, against loopback stand-ins of GitHub (validated against its OpenAPI description) and Anthropic (a scripted
// model speaking the real streaming format), with real git. Prints the story of the run and the PR comment.
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createScenario, REPO } from '../test-support/scenario.ts';
import { healthTurns } from '../test-support/health-scenario.ts';
import { readBranch } from '../test-support/git.ts';

/** The fields read here of one line of the action's JSONL transcript (the loop's `tool` events among others). */
interface TranscriptLine {
  readonly type: string;
  readonly name: string;
  readonly input: unknown;
  readonly result: { readonly isError: boolean };
  readonly ms: number;
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (n: number, s: string) => console.log(`\n${bold(`${n}. ${s}`)}`);

function hasBwrap(): boolean {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const task = '/backend-developer add a /health endpoint with tests';
const s = await createScenario({ script: healthTurns() });
try {
  step(1, `alice comments on issue #${s.issueNumber} of ${REPO} ("${s.gh.state.issues[0]!.title}"):`);
  console.log(`   ${task}`);
  const sandbox = hasBwrap() ? 'auto' : 'off';
  step(
    2,
    `The runner starts node dist/index.js (sandbox: ${sandbox}${sandbox === 'off' ? ' — bubblewrap is not usable here' : ''})`,
  );
  const t0 = Date.now();
  const run = await s.run(s.comment({ body: task }), { sandbox });
  for (const line of run.stdout.split('\n')) if (line && !line.startsWith('::add-mask::')) console.log(`   │ ${line}`);
  console.log(`   └ exit code ${run.code} after ${((Date.now() - t0) / 1000).toFixed(2)} s`);

  step(3, 'What the action did');
  const perm = s.gh.requests.find((r) => r.operationId === 'repos/get-collaborator-permission-level');
  console.log(`   permission   GET ${perm?.path} → ${(perm?.response as { permission?: string })?.permission}`);
  console.log(`   reaction     ${s.gh.state.reactions.map((r) => r.content).join(', ')} on the comment`);
  const branch = run.outputs['branch']!;
  const pushed = await readBranch(s.origin, branch);
  if (pushed) {
    const c = pushed.log[0]!;
    console.log(`   branch       ${branch} pushed to origin at ${pushed.sha.slice(0, 8)}`);
    console.log(`   commit       "${c.subject}" by ${c.authorName}; ${c.trailers.join('; ')}`);
  }
  const transcript = (await readFile(run.outputs['transcript']!, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TranscriptLine);
  for (const e of transcript.filter((e) => e.type === 'tool')) {
    const i = e.input as Record<string, string>;
    console.log(
      `   tool         ${e.name.padEnd(5)} ${String(i.file_path ?? i.command ?? i.pattern).split('\n')[0]}${e.result.isError ? '  (error)' : ''}  ${e.ms} ms`,
    );
  }
  const pr = s.gh.state.pulls[0];
  if (pr)
    console.log(
      `   pull request #${pr.number} "${pr.title}" ${pr.pull!.head} → ${pr.pull!.base}${pr.pull!.draft ? ' (draft)' : ''}: ${run.outputs['pr-url']}`,
    );
  const check = s.gh.state.checkRuns[0];
  if (check) console.log(`   check run    ${check.name}: ${check.conclusion} on ${check.headSha.slice(0, 8)}`);
  console.log(
    `   outputs      status=${run.outputs['status']} turns=${run.outputs['turns']} cost-usd=${run.outputs['cost-usd']} cache-read-tokens=${run.outputs['cache-read-tokens']}`,
  );
  s.gh.assertNoViolations();
  console.log(`   every one of the ${s.gh.requests.length} GitHub API calls matched GitHub's OpenAPI description`);

  step(4, `The STATUS comment (${run.outputs['comment-url']})`);
  const comment = s.gh.state.comments.find(
    (c) => c.body.includes('STATUS: ') && c.issueNumber === (pr?.number ?? s.issueNumber),
  );
  console.log((comment?.body ?? '(none)').replace(/\n*<!--.*-->\s*$/s, '').replace(/^/gm, '   '));
  if (run.code !== 0 || run.outputs['status'] !== 'COMPLETE') process.exitCode = 1;
} finally {
  await s.close();
}
