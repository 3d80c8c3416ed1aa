// Who may start a run: decided before anything is spent (no model call, no branch). Pure, so every case is a test.
import { Input } from '../constants.ts';

export interface PermissionInput {
  readonly login: string;
  /** The commenter's account type from the event: 'User' | 'Bot' | 'Organization'. */
  readonly userType?: string | undefined;
  /** `permission` from repos/get-collaborator-permission-level: admin | write | read | none (legacy values). */
  readonly permission: string;
  /** `role_name` from the same call: admin | maintain | write | triage | read, or a custom role's name. */
  readonly roleName?: string | undefined;
  readonly allowedUsers: readonly string[];
  readonly allowedBots: readonly string[];
}

export interface PermissionDecision {
  readonly allowed: boolean;
  /** One or two sentences for the log and the reply comment (which puts `@login ` before it). */
  readonly reason: string;
}

const RANK: Readonly<Record<string, number>> = {
  none: 0,
  read: 1,
  pull: 1,
  triage: 2,
  write: 3,
  push: 3,
  maintain: 4,
  admin: 5,
};
const REQUIRED = RANK['write'] ?? 3;

export function isBot(login: string, userType?: string): boolean {
  return userType?.toLowerCase() === 'bot' || /\[bot\]$/i.test(login.trim());
}

/** Decides whether `login` may run an agent here. */
export function decidePermission(input: PermissionInput): PermissionDecision {
  const login = input.login.trim();
  if (isBot(login, input.userType)) {
    const wanted = botKey(login);
    if (input.allowedBots.some((b) => botKey(b) === wanted)) {
      return { allowed: true, reason: `${login} is a bot listed in \`${Input.AllowedBots}\`.` };
    }
    return {
      allowed: false,
      reason: `Bots cannot run this agent unless they are listed in \`${Input.AllowedBots}\`, and ${login} is not, whatever its permission on the repository.`,
    };
  }

  // The API reports maintain and triage only in role_name; permission holds the legacy write/read. Take the higher.
  const level = Math.max(rank(input.permission), rank(input.roleName));
  const shown = levelName(input.permission, input.roleName);
  if (level >= REQUIRED) return { allowed: true, reason: `${login} has ${shown} permission on the repository.` };
  const wanted = userKey(login);
  if (input.allowedUsers.some((u) => userKey(u) === wanted)) {
    return { allowed: true, reason: `${login} is listed in \`${Input.AllowedUsers}\`.` };
  }
  const has = level <= 0 ? 'no access to this repository' : `${shown} permission on this repository`;
  return {
    allowed: false,
    reason: `Only people with write, maintain or admin permission can run this agent, and ${login} has ${has}. A maintainer can add them to \`${Input.AllowedUsers}\` in the workflow.`,
  };
}

function rank(value: string | undefined): number {
  return value ? (RANK[value.trim().toLowerCase()] ?? -1) : -1;
}

function levelName(permission: string, roleName: string | undefined): string {
  const candidates = [roleName, permission].filter((v): v is string => !!v && rank(v) >= 0);
  candidates.sort((a, b) => rank(b) - rank(a));
  return (candidates[0] ?? 'none').trim().toLowerCase();
}

/** `@Octocat` → `octocat`. */
function userKey(name: string): string {
  return name.trim().replace(/^@/, '').toLowerCase();
}

/** `renovate`, `@renovate[bot]`, `Renovate[bot]` are the same bot. */
function botKey(name: string): string {
  return userKey(name).replace(/\[bot\]$/, '');
}
