/** Names from action.yml, spelled once. */
export const Input = {
  AnthropicApiKey: 'anthropic-api-key',
  GithubToken: 'github-token',
  Agent: 'agent',
  AgentsDir: 'agents-dir',
  Model: 'model',
  MaxTurns: 'max-turns',
  MaxCostUsd: 'max-cost-usd',
  TimeoutMinutes: 'timeout-minutes',
  BaseBranch: 'base-branch',
  BranchPrefix: 'branch-prefix',
  AllowedTools: 'allowed-tools',
  AllowWorkflowChanges: 'allow-workflow-changes',
  Sandbox: 'sandbox',
  AllowedDomains: 'allowed-domains',
  VerifyCommand: 'verify-command',
  FailOn: 'fail-on',
  AllowedUsers: 'allowed-users',
  AllowedBots: 'allowed-bots',
  CreatePr: 'create-pr',
  AnthropicBaseUrl: 'anthropic-base-url',
  Provider: 'provider',
  McpConfig: 'mcp-config',
  CommitSigning: 'commit-signing',
  MaxDelegationDepth: 'max-delegation-depth',
} as const;

export const Output = {
  Status: 'status',
  Summary: 'summary',
  Files: 'files',
  Next: 'next',
  Blocker: 'blocker',
  Skipped: 'skipped',
  Branch: 'branch',
  PrNumber: 'pr-number',
  PrUrl: 'pr-url',
  CommentUrl: 'comment-url',
  CheckRunId: 'check-run-id',
  Turns: 'turns',
  InputTokens: 'input-tokens',
  OutputTokens: 'output-tokens',
  CacheReadTokens: 'cache-read-tokens',
  CacheWriteTokens: 'cache-write-tokens',
  CostUsd: 'cost-usd',
  Transcript: 'transcript',
} as const;

/**
 * The built-in tools, named as Claude Code names them (agent files list these names). Bash brings BashOutput and
 * KillShell with it (its background commands); MultiEdit is Claude Code's older several-edits tool. WebFetch and
 * WebSearch are offered only to an agent whose file lists them or lists no tools (the built-in agent does not).
 */
export const TOOL_NAMES = [
  'Read',
  'Write',
  'Edit',
  'MultiEdit',
  'Bash',
  'Glob',
  'Grep',
  'WebFetch',
  'WebSearch',
] as const;
/** Offered with Bash, never alone: an agent file may name them, and they count as available when Bash is. */
export const BASH_COMPANIONS = ['BashOutput', 'KillShell'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** How Bash runs: sandboxed when possible, always, or never (the `sandbox` input). */
export type SandboxMode = 'auto' | 'required' | 'off';
/** How the work is committed: through GitHub's API (signed), with `git push` (unsigned), or the API when it can. */
export type CommitSigning = 'auto' | 'api' | 'git';

/** Where the model runs (the `provider` input). */
export type Provider = 'anthropic' | 'bedrock' | 'vertex';

/** The model alias used when neither the `model` input nor the agent file names one. */
export const DEFAULT_MODEL = 'sonnet';

export const STATUSES = ['COMPLETE', 'BLOCKED', 'WAITING', 'ERROR'] as const;
export type Status = (typeof STATUSES)[number];

/** Where a repository's agent files are looked up first (the `agents-dir` input's default). */
export const DEFAULT_AGENTS_DIR = '.claude/agents';

/** Who commits the agent's work (the commenter is a Co-authored-by). */
export const BOT_IDENTITY = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
} as const;

/** Hidden marker in every comment the action writes: it never answers its own comments, and finds them again on a re-run. */
export const COMMENT_MARKER = '<!-- backend-developer-action';
