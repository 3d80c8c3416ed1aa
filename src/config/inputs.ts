import * as core from '@actions/core';
import {
  DEFAULT_AGENTS_DIR,
  Input,
  STATUSES,
  type CommitSigning,
  type Provider,
  type SandboxMode,
  type Status,
} from '../constants.ts';
import { UserError } from '../errors.ts';
import { canonicalToolNames, isKnownToolName, CLAUDE_TOOL_NAMES } from '../agents/tool-names.ts';

/** Everything the run is configured with: read once, validated, then passed down read-only. */
export interface Config {
  readonly anthropicApiKey: string;
  readonly githubToken: string;
  /** Only this agent answers; '' = any known agent. */
  readonly agent: string;
  readonly agentsDir: string;
  /** Overrides the agent file's model; '' = the file's or the default. */
  readonly model: string;
  readonly maxTurns: number;
  readonly maxCostUsd: number;
  readonly timeoutMs: number;
  /** '' = the repository's default branch. */
  readonly baseBranch: string;
  /** '' = "<agent>/". */
  readonly branchPrefix: string;
  /** Claude Code's tool names (aliases mapped; `mcp__…` as written); null = no restriction beyond the agent file. */
  readonly allowedTools: readonly string[] | null;
  readonly allowWorkflowChanges: boolean;
  readonly sandbox: SandboxMode;
  readonly allowedDomains: readonly string[];
  readonly verifyCommand: string;
  readonly failOn: readonly Status[];
  readonly allowedUsers: readonly string[];
  readonly allowedBots: readonly string[];
  readonly createPr: boolean;
  readonly anthropicBaseUrl: string;
  readonly provider: Provider;
  /** The raw `mcp-config` JSON ('' = none); parsed, expanded and validated in src/mcp. */
  readonly mcpConfig: string;
  /** 'auto': GitHub's commit API (signed) when it can carry the change, else git push; 'api' or 'git' only. */
  readonly commitSigning: CommitSigning;
  /** How deep the Agent tool may delegate: 0 = never, 1 = the command's agent may, its sub-agents may not. */
  readonly maxDelegationDepth: number;
}

function list(name: string): string[] {
  return core
    .getInput(name)
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function number(name: string, fallback: number, min: number): number {
  const raw = core.getInput(name);
  if (raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    throw new UserError(
      `Input '${name}' must be a number ≥ ${min}, got '${raw}'. Fix it in the workflow's 'with:' block.`,
    );
  }
  return n;
}

function bool(name: string, fallback: boolean): boolean {
  const raw = core.getInput(name).toLowerCase();
  if (raw === '') return fallback;
  if (['true', 'yes', '1'].includes(raw)) return true;
  if (['false', 'no', '0'].includes(raw)) return false;
  throw new UserError(`Input '${name}' must be true or false, got '${raw}'.`);
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const raw = core.getInput(name).toLowerCase();
  if (raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UserError(`Input '${name}' must be one of ${allowed.join(', ')}, got '${raw}'.`);
}

/** The only reader of action inputs. Throws UserError with a message that says which input and how to fix it. */
export function readConfig(): Config {
  const secrets = [core.getInput(Input.AnthropicApiKey), core.getInput(Input.GithubToken)];
  for (const s of secrets) if (s) core.setSecret(s);

  const tools = list(Input.AllowedTools);
  for (const t of tools) {
    if (!isKnownToolName(t)) {
      throw new UserError(
        `Input '${Input.AllowedTools}' names an unknown tool '${t}'. Known tools: ${CLAUDE_TOOL_NAMES.join(', ')}, and mcp__<server> or mcp__<server>__<tool> for MCP servers' tools.`,
      );
    }
  }
  const failOn = list(Input.FailOn).map((s) => s.toUpperCase());
  for (const s of failOn) {
    if (!(STATUSES as readonly string[]).includes(s)) {
      throw new UserError(`Input '${Input.FailOn}' names an unknown status '${s}'. Use any of ${STATUSES.join(', ')}.`);
    }
  }
  const provider = oneOf<Provider>(Input.Provider, ['anthropic', 'bedrock', 'vertex'], 'anthropic');
  const timeoutMinutes = number(Input.TimeoutMinutes, 30, 0.01);
  return {
    anthropicApiKey: core.getInput(Input.AnthropicApiKey),
    githubToken: core.getInput(Input.GithubToken),
    agent: core.getInput(Input.Agent).replace(/^\//, ''),
    agentsDir: core.getInput(Input.AgentsDir) || DEFAULT_AGENTS_DIR,
    model: core.getInput(Input.Model),
    maxTurns: Math.floor(number(Input.MaxTurns, 50, 1)),
    maxCostUsd: number(Input.MaxCostUsd, 10, 0),
    timeoutMs: Math.round(timeoutMinutes * 60_000),
    baseBranch: core.getInput(Input.BaseBranch),
    branchPrefix: core.getInput(Input.BranchPrefix),
    allowedTools: tools.length ? [...new Set(tools.flatMap(canonicalToolNames))] : null,
    allowWorkflowChanges: bool(Input.AllowWorkflowChanges, false),
    sandbox: oneOf<SandboxMode>(Input.Sandbox, ['auto', 'required', 'off'], 'auto'),
    allowedDomains: list(Input.AllowedDomains),
    verifyCommand: core.getInput(Input.VerifyCommand),
    failOn: (failOn.length ? failOn : ['BLOCKED', 'ERROR']) as Status[],
    allowedUsers: list(Input.AllowedUsers),
    allowedBots: list(Input.AllowedBots),
    createPr: bool(Input.CreatePr, true),
    anthropicBaseUrl: core.getInput(Input.AnthropicBaseUrl) || process.env.ANTHROPIC_BASE_URL || '',
    provider,
    mcpConfig: core.getInput(Input.McpConfig),
    commitSigning: oneOf<CommitSigning>(Input.CommitSigning, ['auto', 'api', 'git'], 'auto'),
    maxDelegationDepth: Math.floor(number(Input.MaxDelegationDepth, 1, 0)),
  };
}
