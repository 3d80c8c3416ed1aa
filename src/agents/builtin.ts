// Where the built-in agents (the repository's agents/ folder, copied to dist/agents by the bundle) are found.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built-in agents are: beside the bundle (dist/agents, for dist/index.js and dist/cli.js) or, running from
 * sources, at the repository root. `entryUrl` is the calling module's import.meta.url. A candidate counts only when it
 * holds an agent file: src/agents (this folder of code) must not pass for the agents of an entry in src/.
 */
export function builtinAgentsDir(entryUrl: string): string {
  const here = path.dirname(fileURLToPath(entryUrl));
  const candidates = [
    path.join(here, 'agents'),
    path.join(here, '..', 'agents'),
    path.join(here, '..', '..', 'agents'),
  ];
  return candidates.find(holdsAgentFiles) ?? candidates[0]!;
}

function holdsAgentFiles(dir: string): boolean {
  if (!existsSync(dir)) return false;
  try {
    return readdirSync(dir).some((n) => n.toLowerCase().endsWith('.md'));
  } catch {
    return false;
  }
}
