// The GraphQL half of the GitHub stand-in. Every document the action sends is parsed and validated against GitHub's
// published schema (`@octokit/graphql-schema`), its variables coerced to the schema's input types, and then run
// with `graphql`'s own executor over resolvers for the few fields the action uses: what the stand-in answers is
// shaped by the schema too. `createCommitOnBranch` is real: it writes blobs, a tree and a commit into the bare
// origin with git plumbing and moves the branch only if it still points at `expectedHeadOid`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  execute,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';

let schema: GraphQLSchema | undefined;
/** Milliseconds the schema took to build in this process (0 until built). */
export let graphqlSchemaLoadMs = 0;

/** GitHub's published schema, built once per process from its introspection JSON (half a second; the SDL takes more). */
export function githubGraphqlSchema(): GraphQLSchema {
  if (schema) return schema;
  const started = Date.now();
  const dir = dirname(fileURLToPath(import.meta.resolve('@octokit/graphql-schema')));
  const json = JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8')) as {
    data?: IntrospectionQuery;
  } & IntrospectionQuery;
  // The published schema deprecates some interface implementations alone, which graphql-js's schema validation
  // refuses; GitHub's server serves it as is, so the stand-in takes it as valid (validating documents is unaffected).
  schema = buildClientSchema(json.data ?? json, { assumeValid: true });
  graphqlSchemaLoadMs = Date.now() - started;
  return schema;
}

/** Validation messages for a document against GitHub's schema; empty when it is valid. */
export function validateGraphql(query: string): string[] {
  let doc: DocumentNode;
  try {
    doc = parse(query);
  } catch (e) {
    return [`syntax: ${(e as Error).message}`];
  }
  return validate(githubGraphqlSchema(), doc).map((e) => e.message);
}

/** An error GitHub answers inside `errors` with a `type` (STALE_DATA, NOT_FOUND, FORBIDDEN, UNPROCESSABLE). */
export class GitHubGraphqlError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

export interface GraphqlCaller {
  readonly login: string;
  readonly userId: number;
}

/** The root fields the stand-in answers; each gets the field's arguments, already coerced by the schema. */
export type GraphqlRoot = Record<string, (args: Record<string, unknown>, caller: GraphqlCaller) => unknown>;

export interface GraphqlAnswer {
  readonly body: { data?: unknown; errors?: unknown[] };
  /** What broke the contract: an invalid document or variables, a field the stand-in cannot answer. */
  readonly violations: string[];
}

/** Answers one POST body the way GitHub's /graphql does (200 with `errors` for invalid documents too). */
export async function answerGraphql(
  body: { query?: unknown; variables?: unknown; operationName?: unknown } | undefined,
  root: GraphqlRoot,
  caller: GraphqlCaller,
): Promise<GraphqlAnswer> {
  const query = typeof body?.query === 'string' ? body.query : '';
  const short = query.replace(/\s+/g, ' ').slice(0, 120);
  if (!query)
    return {
      body: { errors: [{ message: 'A query attribute must be specified' }] },
      violations: ['graphql: no query'],
    };
  const invalid = validateGraphql(query);
  if (invalid.length)
    return {
      body: { errors: invalid.map((message) => ({ message })) },
      violations: invalid.map((m) => `graphql: invalid document (${m}): ${short}`),
    };
  const rootValue = Object.fromEntries(
    Object.entries(root).map(([k, f]) => [k, (args: Record<string, unknown>) => f(args, caller)]),
  );
  const result = await execute({
    schema: githubGraphqlSchema(),
    document: parse(query),
    rootValue,
    variableValues: (body?.variables ?? {}) as Record<string, unknown>,
    ...(typeof body?.operationName === 'string' ? { operationName: body.operationName } : {}),
  });
  const violations: string[] = [];
  const errors = (result.errors ?? []).map((e) => {
    const original = e.originalError;
    if (original instanceof GitHubGraphqlError)
      return { type: original.type, path: e.path, locations: e.locations, message: original.message };
    // Variables that do not fit the schema's input types, or a field the stand-in has no resolver for.
    violations.push(`graphql: ${e.message}: ${short}`);
    return { message: e.message, locations: e.locations, path: e.path };
  });
  return { body: { data: result.data ?? null, ...(errors.length ? { errors } : {}) }, violations };
}

export interface CommitOnBranchInput {
  branch: { repositoryNameWithOwner?: string; branchName?: string; id?: string };
  expectedHeadOid: string;
  message: { headline: string; body?: string | null };
  fileChanges?: {
    additions?: Array<{ path: string; contents: string }> | null;
    deletions?: Array<{ path: string }> | null;
  } | null;
}

/**
 * Base64 as RFC 4648 writes it: the alphabet, padded to a multiple of 4. Checked without a repeated group: V8's
 * backtracking over `(?:…{4})*` runs out of stack on a file of a few megabytes.
 */
const RFC4648 = {
  test: (s: string): boolean => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s),
};

/**
 * createCommitOnBranch on a bare repository, as GitHub does it: the parent is the branch's head, which must be
 * `expectedHeadOid`; every addition becomes a 100644 blob (the API has no modes); a deletion of a missing path,
 * a duplicate path or contents that are not RFC 4648 base64 abort the commit. Returns the new commit's oid.
 */
export function commitOnBranch(
  gitDir: string,
  input: CommitOnBranchInput,
  author: { name: string; email: string },
): string {
  const git = (args: string[], o: { env?: Record<string, string>; input?: Buffer } = {}) =>
    execFileSync('git', ['--git-dir', gitDir, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', HOME: gitDir, ...o.env },
      input: o.input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    }).trim();
  const name = (input.branch.branchName ?? '').replace(/^refs\/heads\//, '');
  const ref = `refs/heads/${name}`;
  let head: string;
  try {
    head = git(['rev-parse', '--verify', '-q', `${ref}^{commit}`]);
  } catch {
    throw new GitHubGraphqlError('NOT_FOUND', `A ref named "${ref}" does not exist.`);
  }
  if (head !== input.expectedHeadOid)
    throw new GitHubGraphqlError(
      'STALE_DATA',
      `Expected branch to point to "${input.expectedHeadOid}" but it did not. Pull and try again.`,
    );
  const additions = input.fileChanges?.additions ?? [];
  const deletions = input.fileChanges?.deletions ?? [];
  const paths = [...additions.map((a) => a.path), ...deletions.map((d) => d.path)];
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup) throw new GitHubGraphqlError('UNPROCESSABLE', `The path "${dup}" appears more than once.`);
  const scratch = mkdtempSync(join(tmpdir(), 'gh-graphql-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    git(['read-tree', head], { env });
    // Whole batches, not a git process per file: a change of thousands of files must not take minutes here.
    const indexed = new Set(git(['ls-files', '-z'], { env }).split('\0'));
    const missing = deletions.find((d) => !indexed.has(d.path));
    if (missing)
      throw new GitHubGraphqlError(
        'UNPROCESSABLE',
        `A path was requested for deletion which does not exist as of commit oid \`${head}\``,
      );
    const bad = additions.find((a) => !RFC4648.test(a.contents));
    if (bad) throw new GitHubGraphqlError('UNPROCESSABLE', `The contents of "${bad.path}" are not valid base64.`);
    const files = additions.map((a, i) => {
      const file = join(scratch, `blob-${i}`);
      writeFileSync(file, Buffer.from(a.contents, 'base64'));
      return file;
    });
    const blobs = files.length
      ? git(['hash-object', '-w', '--stdin-paths'], { input: Buffer.from(files.join('\n') + '\n') }).split('\n')
      : [];
    // Mode 0 removes an entry; --index-info needs no work tree (this is a bare repository).
    const info = [
      ...deletions.map((d) => `0 ${'0'.repeat(40)}\t${d.path}`),
      ...additions.map((a, i) => `100644 ${blobs[i]}\t${a.path}`),
    ];
    if (info.length)
      git(['update-index', '--add', '--index-info'], { env, input: Buffer.from(info.join('\n') + '\n') });
    const tree = git(['write-tree'], { env });
    const body = input.message.body ? `\n\n${input.message.body}` : '';
    const oid = git(['commit-tree', tree, '-p', head, '-F', '-'], {
      input: Buffer.from(`${input.message.headline}${body}\n`),
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: 'GitHub',
        GIT_COMMITTER_EMAIL: 'noreply@github.com',
      },
    });
    try {
      git(['update-ref', ref, oid, head]);
    } catch {
      throw new GitHubGraphqlError(
        'STALE_DATA',
        `Expected branch to point to "${input.expectedHeadOid}" but it did not. Pull and try again.`,
      );
    }
    return oid;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
