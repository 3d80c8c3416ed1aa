// GitHub's official REST description (@octokit/openapi), loaded once per process and wrapped for the stand-in:
// route a request to its operation, validate the request, validate the stand-in's own response.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import addFormats from 'ajv-formats';
import type { Ajv } from 'ajv';

const require = createRequire(import.meta.url);

type Json = Record<string, unknown>;

export interface MatchedOperation {
  operationId: string;
  /** The operation's documentation page, used as `documentation_url` in error bodies as GitHub does. */
  docsUrl: string;
  /** Response status codes the description declares for the operation ('200', '404', …). */
  statuses: string[];
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
}

export interface RequestToCheck {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
}

export interface GitHubOpenApi {
  /** Milliseconds the first load took in this process (reading, parsing, building the router). */
  loadMs: number;
  match(req: RequestToCheck): MatchedOperation | undefined;
  /** ajv error lines, or [] when the request is valid. */
  validateRequest(req: RequestToCheck, operationId: string): string[];
  /** ajv error lines, or [] when `body` matches the schema declared for `status` (or nothing is declared). */
  validateResponse(operationId: string, status: number, body: unknown): string[];
}

let loading: Promise<GitHubOpenApi> | undefined;

/** Loads only `generated/api.github.com.json` (the package index would load every variant, ~450 MB). Cached. */
export function loadGitHubOpenApi(): Promise<GitHubOpenApi> {
  loading ??= load();
  return loading;
}

async function load(): Promise<GitHubOpenApi> {
  const started = performance.now();
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  // GitHub's published description, an OpenAPI 3.0 document.
  const definition = JSON.parse(readFileSync(file, 'utf8')) as Document;
  normalizeNullable(definition);
  const api = new OpenAPIBackend({
    definition,
    quick: true, // skip validating the description itself and compile validators lazily, per operation
    coerceTypes: true,
    ajvOpts: { strict: false },
    customizeAjv: (ajv) => {
      (addFormats as unknown as (a: Ajv) => void)(ajv);
      // Formats only GitHub's description uses.
      ajv.addFormat('repo.nwo', /^[\w.-]+\/[\w.-]+$/);
      ajv.addFormat('timestamp', true);
      return ajv;
    },
  });
  await api.init();
  const loadMs = Math.round(performance.now() - started);

  const toReq = (r: RequestToCheck) => ({
    method: r.method.toLowerCase(),
    path: r.path,
    query: r.query,
    headers: r.headers,
    body: r.body,
  });

  return {
    loadMs,
    match(r) {
      const op = api.matchOperation(toReq(r));
      if (!op?.operationId) return undefined;
      const parsed = api.router.parseRequest(toReq(r), op);
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries((parsed.params ?? {}) as Record<string, unknown>))
        params[k] = decodeURIComponent(String(v));
      return {
        operationId: op.operationId,
        docsUrl: op.externalDocs?.url ?? 'https://docs.github.com/rest',
        statuses: Object.keys(op.responses ?? {}),
        params,
      };
    },
    validateRequest(r, operationId) {
      const result = api.validateRequest(toReq(r), operationId);
      return result.valid ? [] : (result.errors ?? []).map(formatAjvError);
    },
    validateResponse(operationId, status, body) {
      const result = api.validateResponse(body, operationId, status);
      return result.valid ? [] : (result.errors ?? []).map(formatAjvError);
    },
  };
}

/**
 * OpenAPI 3.0 allows `nullable: true` beside `oneOf`/`allOf`/`$ref` without `type`; ajv refuses to compile that
 * ("nullable" cannot be used without "type"), so such schemas become `anyOf: [schema, {type: 'null'}]`.
 * The definition is GitHub's; this only makes ajv read it as OpenAPI 3.0 means it.
 */
function normalizeNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const x of node) normalizeNullable(x);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Json;
  for (const v of Object.values(o)) normalizeNullable(v);
  // ajv checks `enum` before honouring `nullable`, so a nullable enum must list null itself.
  if (o.nullable === true && Array.isArray(o.enum) && !o.enum.includes(null)) o.enum.push(null);
  if (o.nullable === true && o.type === undefined) {
    const { nullable: _, description, ...rest } = o;
    for (const k of Object.keys(o)) delete o[k];
    Object.assign(o, { ...(description === undefined ? {} : { description }), anyOf: [rest, { type: 'null' }] });
  }
}

function formatAjvError(e: { instancePath: string; message?: string; params?: unknown }): string {
  const where = e.instancePath || '(root)';
  const extra = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}
