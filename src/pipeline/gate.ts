/**
 * Steps 1 and 2: is the comment a command for one of our agents, and may its author ask? Step 1 uses the event and
 * local files only (no API call); step 2 asks GitHub for the commenter's permission before anything is spent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { COMMENT_MARKER } from '../constants.ts';
import type { Config } from '../config/inputs.ts';
import type { Logger } from '../log.ts';
import { builtinAgentsDir } from '../agents/builtin.ts';
import { loadAgents, type AgentCatalog } from '../agents/definition.ts';
import { commandName, nearestName, parseCommand, type Command } from '../trigger/command.ts';
import { decidePermission } from '../trigger/permission.ts';
import type { CommentEvent } from '../trigger/event.ts';
import type { GitHub, RepoRef } from '../github/client.ts';
import { marker, upsertComment, type Identity } from '../github/comments.ts';
import { errorMessage, httpStatus } from '../errors.ts';

export interface Accepted {
  readonly command: Command;
  /** Set when the command was a near miss of an agent name: the answer is a "did you mean". */
  readonly didYouMean: string | null;
  readonly catalog: AgentCatalog;
  /** Whether the workspace already holds a checkout (else the catalog is reloaded after the clone). */
  readonly hasCheckout: boolean;
  readonly builtinDir: string;
}

export type Gate = { readonly skip: string } | Accepted;

/** Step 1: the command in the comment, or why this comment is not for us. */
export async function readCommand(cfg: Config, event: CommentEvent, workspace: string, log: Logger): Promise<Gate> {
  const { comment } = event;
  // Our own comments carry the marker; with no API call the author cannot be checked, so any marked comment is
  // skipped. Harmless: a marker stops only the comment that carries it, never anyone else's command.
  if (comment.body.includes(COMMENT_MARKER)) {
    return {
      skip: `the comment carries this action's hidden marker (${COMMENT_MARKER}), so it is taken as the action's own and never run; remove the marker to run it.`,
    };
  }
  const builtinDir = builtinAgentsDir(import.meta.url);
  const hasCheckout = existsSync(join(workspace, '.git'));
  const catalog = await loadAgents({
    workspace: hasCheckout ? workspace : builtinDir,
    agentsDir: cfg.agentsDir,
    builtinDir,
    log,
  });
  const names = agentNames(catalog);
  let command = parseCommand(comment.body, names, cfg.agent || undefined);
  // A near miss of one of our names (`/backend-develper`) is answered, once the commenter is known to be allowed;
  // other slash commands (`/cc`, `/lgtm`) belong to other tools and are left alone.
  const typo = command || cfg.agent ? null : commandName(comment.body);
  const didYouMean = typo ? nearestName(typo, names) : null;
  if (!command && typo && didYouMean) command = { agent: typo, task: '' };
  if (!command) {
    return {
      skip: `the comment is not a command for ${cfg.agent ? `/${cfg.agent}` : `any of ${names.map((n) => `/${n}`).join(', ')}`}.`,
    };
  }
  return { command, didYouMean, catalog, hasCheckout, builtinDir };
}

/** Every name a command may use: the loaded agents and the ones whose files are broken (they get an error reply). */
export function agentNames(catalog: AgentCatalog): string[] {
  return [...catalog.agents.keys(), ...catalog.errors.map((x) => x.name).filter((n): n is string => !!n)];
}

/**
 * Step 2: may the commenter run the agent? A refusal is answered on the issue and logged; returns the reason, or
 * null when allowed.
 */
export async function checkPermission(
  gh: GitHub,
  me: Identity,
  repo: RepoRef,
  o: { cfg: Config; event: CommentEvent; agentName: string; log: Logger },
): Promise<string | null> {
  const { cfg, event, agentName, log } = o;
  const { comment, issue } = event;
  let permission = 'none';
  let roleName: string | undefined;
  try {
    const { data } = await gh.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: comment.user.login });
    permission = data.permission;
    roleName = data.role_name;
  } catch (e) {
    if (httpStatus(e) !== 404) throw e;
  }
  const decision = decidePermission({
    login: comment.user.login,
    userType: comment.user.type,
    permission,
    roleName,
    allowedUsers: cfg.allowedUsers,
    allowedBots: cfg.allowedBots,
  });
  if (decision.allowed) return null;
  log.warning(`@${comment.user.login} may not run /${agentName}: ${decision.reason}`);
  await upsertComment(
    gh,
    repo,
    issue.number,
    marker('refused', String(comment.id)),
    `@${comment.user.login} ${decision.reason}`,
    me,
  ).catch((e) => log.warning(`Could not post the refusal: ${errorMessage(e)}`));
  return decision.reason;
}
