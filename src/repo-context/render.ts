// The summary as Markdown: one line per fact, the whole bounded to maxChars. (The project's instruction files are
// quoted in the system prompt instead, see instructions.ts.)
import type { Facts } from './facts.ts';
import { WALK_MAX_DEPTH, WALK_MAX_FILES, type FileListing } from './listing.ts';
import { stackOf } from './stack.ts';
import { bound, capList, code, oneLine, plain, plural } from './text.ts';

const MAX_LIST = 8;

/** The context's Markdown: what the listing, the facts and the manifests say. */
export function render(
  listing: FileListing,
  facts: Facts,
  manifests: ReadonlyMap<string, string>,
  maxChars: number,
): string {
  const stack = stackOf(manifests, facts);
  const lines: string[] = [];
  const source =
    listing.source === 'git'
      ? 'git ls-files'
      : listing.truncated
        ? 'a directory walk, stopped at its limits'
        : 'a directory walk';
  // No heading of its own: the prompt puts it under one.
  lines.push(`From ${listing.files.length} files (${source}); paths are relative to the workspace root.`);
  lines.push('');
  if (listing.files.length === 0) {
    lines.push('- The workspace has no files yet.');
    return bound(lines.join('\n'), maxChars);
  }
  if (facts.languages.length)
    lines.push(
      `- Languages: ${capList(
        facts.languages.map(([l, n]) => `${l} (${n})`),
        6,
      )}`,
    );
  if (stack.frameworks.length) {
    const parts = stack.frameworks.map((f) => `${f.names.join(', ')} (${f.manifest})`);
    lines.push(`- Frameworks and libraries: ${capList(parts, 8, '; ')}`);
  }
  if (facts.topLevel.length)
    lines.push(
      `- Top-level directories: ${capList(
        facts.topLevel.map(([d, n]) => `${d} (${n})`),
        12,
      )}`,
    );
  if (facts.entryPoints.length) lines.push(`- Entry points: ${capList(facts.entryPoints.map(code), 6)}`);
  if (facts.apiSpecs.length) lines.push(`- API specs: ${capList(facts.apiSpecs.map(code), MAX_LIST)}`);
  if (facts.routes.size) lines.push(`- Routes / handlers: ${groups(facts.routes)}`);
  const db: string[] = [];
  if (facts.schemaFiles.length) db.push(`schema ${capList(facts.schemaFiles.map(code), MAX_LIST)}`);
  if (facts.migrations.size) {
    const parts = [...facts.migrations].map(([dir, set]) => {
      const names = [...set].sort();
      const span = names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]}`;
      return `${code(dir)} (${names.length}: ${oneLine(span ?? '', 120)})`;
    });
    db.push(`migrations ${capList(parts, 4)}`);
  }
  if (facts.dbConfig.length) db.push(`config ${capList(facts.dbConfig.map(code), 4)}`);
  if (db.length) lines.push(`- Database: ${db.join('; ')}`);
  if (facts.models.size) lines.push(`- Models / data access: ${groups(facts.models)}`);
  if (stack.tests.length) {
    const cmds = stack.tests.map((t) => (t.runs ? `${code(t.cmd)} (runs ${code(t.runs)})` : code(t.cmd)));
    lines.push(`- Test command: ${capList(cmds, 4, '; ')}`);
  }
  if (facts.testFiles) {
    const where = [...facts.testDirs].sort((a, b) => b[1] - a[1]).map(([d, n]) => `${code(d)} (${n})`);
    if (facts.testsBesideCode) where.push(`${facts.testsBesideCode} beside the code`);
    lines.push(`- Tests: ${plural(facts.testFiles, 'file')}: ${capList(where, 5)}`);
  }
  if (facts.docker.length) lines.push(`- Docker: ${capList(facts.docker.map(code), 6)}`);
  if (facts.ci.length) lines.push(`- CI: ${capList(facts.ci.map(code), 6)}`);
  if (listing.truncated)
    lines.push(`- Note: the listing stopped at ${WALK_MAX_FILES} files or depth ${WALK_MAX_DEPTH}; there is more.`);
  return bound(lines.join('\n'), maxChars);
}

function groups(map: ReadonlyMap<string, readonly string[]>): string {
  const entries = [...map].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  const parts = entries.map(([dir, names]) => {
    const sorted = [...names].sort();
    if (!dir) return capList(sorted.map(code), 5);
    return `${code(dir)} (${capList(sorted.map(plain), 5)})`;
  });
  return capList(parts, MAX_LIST, '; ');
}
