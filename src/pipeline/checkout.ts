/**
 * Step 4: the branch and the repository. On an issue the branch is `<prefix><issue>-<slug>` (reused by later
 * commands there); on a pull request it is the head branch, never a fork's. Opening the repository takes
 * actions/checkout's credentials out of .git/config; the caller puts them back on every way out.
 */
import { UserError, errorMessage } from '../errors.ts';
import { loadAgents, type AgentCatalog } from '../agents/definition.ts';
import { openRepository, slugBranch, type Repository } from '../git/index.ts';
import type { PullRef } from '../github/pulls.ts';
import type { StatusBlock } from '../session/status.ts';
import { errorStatus, type Run } from './run.ts';

export interface Checkout {
  readonly git: Repository;
  readonly branch: string;
  readonly base: string;
  /** The pull request the command was made on. */
  readonly pr: PullRef | null;
  /** The catalog, reloaded from the clone when the workspace was empty before. */
  readonly catalog: AgentCatalog;
}

export type CheckoutResult = { readonly ended: StatusBlock } | Checkout;

/** `opened` is told the repository as soon as it is open, so its credentials are restored whatever happens next. */
export async function checkout(
  run: Run,
  gate: { catalog: AgentCatalog; hasCheckout: boolean; builtinDir: string },
  opened: (git: Repository) => void,
): Promise<CheckoutResult> {
  const { cfg, env, event, gh } = run;
  const { issue } = event;
  let base = cfg.baseBranch || event.repository.default_branch;
  let branch: string;
  let pr: PullRef | null = null;
  if (issue.pull_request !== undefined) {
    const { data } = await gh.rest.pulls.get({ ...env.repo, pull_number: issue.number });
    if (data.head.repo?.full_name !== env.repoFullName) {
      return {
        ended: {
          status: 'BLOCKED',
          summary: 'This pull request comes from a fork; the agent does not run on fork branches.',
          files: [],
          blocker: `The head branch lives in ${data.head.repo?.full_name ?? 'a deleted fork'}. The action never pushes to forks nor runs their code with this repository's secrets. Push the branch to ${env.repoFullName} and ask again there.`,
        },
      };
    }
    branch = data.head.ref;
    base = data.base.ref;
    pr = { number: data.number, url: data.html_url, created: false, draft: !!data.draft, nodeId: data.node_id };
  } else {
    branch = slugBranch(cfg.branchPrefix || `${run.agentName}/`, issue.number, issue.title);
  }

  let catalog = gate.catalog;
  try {
    const git = await openRepository(env.workspace, {
      token: cfg.githubToken,
      serverUrl: env.serverUrl,
      repoFullName: env.repoFullName,
      log: run.log,
    });
    opened(git);
    if (!gate.hasCheckout)
      catalog = await loadAgents({
        workspace: env.workspace,
        agentsDir: cfg.agentsDir,
        builtinDir: gate.builtinDir,
        log: run.log,
      });
    await git.prepareBranch({ branch, base, mode: pr ? 'pr' : 'issue' });
    return { git, branch, base, pr, catalog };
  } catch (e) {
    if (!(e instanceof UserError)) run.log.debug(String((e as Error).stack));
    return { ended: errorStatus('The repository could not be prepared.', run.redact(errorMessage(e))) };
  }
}
