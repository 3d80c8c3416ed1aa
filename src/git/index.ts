export {
  openRepository,
  type Repository,
  type PendingChanges,
  type OpenOptions,
  type PrepareOptions,
  type CommitOptions,
  type PushResult,
} from './repository.ts';
export { stageChanges, NO_SUBMODULE_CONFIG, replayDiffArgs } from './stage.ts';
export { parseStatus, sortChanges, type SkippedPath, type StatusEntry, type WorkspaceChanges } from './status.ts';
export { slugBranch, slugify, isValidBranchName } from './branch-name.ts';
export {
  createCommandManager,
  gitEnvironment,
  hardenedConfig,
  authHeader,
  GitCommandError,
  type GitCommandManager,
  type GitSettings,
  type GitExecOptions,
} from './command.ts';
export { inexpressibleChange, parseBatch, parseRawDiff, type TreeChange, type TreeDiff } from './tree-changes.ts';
