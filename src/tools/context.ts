/** What a tool's `run` receives besides its input: the confined workspace and the per-run state shared by tools. */
import type { Workspace } from './workspace.ts';

export interface FileVersion {
  readonly mtimeMs: number;
  readonly size: number;
}

export interface ToolContext {
  readonly workspace: Workspace;
  /** Real paths the agent has Read (or written) in this run, with the version it saw: Write may overwrite only these. */
  readonly seen: Map<string, FileVersion>;
  readonly signal?: AbortSignal;
}
