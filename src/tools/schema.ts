/**
 * One source per tool input: a zod object schema gives the TypeScript type (z.infer), the JSON schema the model sees
 * (derived here, shaped like the hand-written one it replaced) and the validation that turns a malformed call into a
 * result the model can fix (every problem named, the accepted parameters listed).
 */
import * as z from 'zod/mini';
import type { ToolName } from '../constants.ts';
import type { ToolContext } from './context.ts';
import { fail, type ToolResult } from './result.ts';
export type { ToolName };

export interface PropertySchema {
  type: 'string' | 'integer' | 'boolean' | 'array' | 'object';
  description?: string;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  /** type 'array': the schema of each item. */
  items?: PropertySchema;
  /** type 'object' (an array's items, say): its properties, the same subset again. */
  properties?: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: false;
}

export interface ToolDefinition {
  /** A built-in ToolName, or the name of a tool from outside the toolbox (the session's Agent, an MCP server's tool). */
  name: string;
  description: string;
  input_schema: {
    type: 'object';
    /** defineTool's tools send PropertySchema; a tool from outside (MCP) may carry any JSON schema. */
    properties: Record<string, PropertySchema | Record<string, unknown>>;
    required?: string[];
    additionalProperties?: boolean;
  };
}

/** A tool as the toolbox holds it: the input type is closed over, so no cast is needed to call it. */
export interface Tool<C extends ToolContext = ToolContext> {
  readonly definition: ToolDefinition;
  readonly readOnly: boolean;
  /**
   * Validates `input` against the tool's schema and runs it. Invalid input comes back as an error result; a refusal
   * the model can act on is thrown as ToolError by the tool.
   */
  call(input: unknown, ctx: C): Promise<ToolResult>;
}

export interface ToolSpec<S extends z.ZodMiniObject, C extends ToolContext> {
  name: string;
  description: string;
  /**
   * A z.strictObject of string/integer/boolean/enum properties with z.describe() texts; arrays of those or of
   * objects made of them (TodoWrite's `todos`) too.
   */
  input: S;
  /** Read-only tools may run concurrently. */
  readOnly: boolean;
  run(input: z.infer<S>, ctx: C): Promise<ToolResult>;
}

export function defineTool<S extends z.ZodMiniObject, C extends ToolContext = ToolContext>(
  spec: ToolSpec<S, C>,
): Tool<C> {
  const definition: ToolDefinition = {
    name: spec.name,
    description: spec.description,
    input_schema: toInputSchema(spec.input),
  };
  return {
    definition,
    readOnly: spec.readOnly,
    async call(input, ctx) {
      const parsed = parseInput(spec.input, definition, input);
      if (!parsed.ok) return fail(spec.name, parsed.message);
      return spec.run(parsed.data, ctx);
    },
  };
}

/** Key order of a property as sent (and as in the committed snapshot): type first, the description last. */
const PROPERTY_KEYS = [
  'type',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'description',
] as const;

/**
 * The JSON schema of a zod object, in the small subset the model is sent: no `$schema`, `additionalProperties: false`
 * kept, integers as `type: integer` with their bounds, but without the ±2^53-1 bounds zod adds to every z.int() (they
 * say nothing to the model and would grow every request). Arrays and objects nest the same subset.
 */
export function toInputSchema(schema: z.ZodMiniObject): ToolDefinition['input_schema'] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as {
    type?: unknown;
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
    additionalProperties?: unknown;
  };
  if (json.type !== 'object') throw new Error('a tool input schema must be an object');
  const properties: Record<string, PropertySchema> = {};
  for (const [key, prop] of Object.entries(json.properties ?? {})) properties[key] = toProperty(prop, key);
  return {
    type: 'object',
    properties,
    ...(json.required?.length ? { required: json.required } : {}),
    ...(json.additionalProperties === false ? { additionalProperties: false } : {}),
  };
}

/** One property in the subset, its keys in PROPERTY_KEYS order; anything else is refused at definition time. */
function toProperty(prop: Record<string, unknown>, at: string): PropertySchema {
  const out: Record<string, unknown> = {};
  for (const k of PROPERTY_KEYS) {
    const v = prop[k];
    if (v === undefined) continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    if (k === 'items') out[k] = toProperty(v as Record<string, unknown>, `${at}[]`);
    else if (k === 'properties') {
      const entries = Object.entries(v as Record<string, Record<string, unknown>>);
      out[k] = Object.fromEntries(entries.map(([name, p]) => [name, toProperty(p, `${at}.${name}`)]));
    } else if (k === 'required') {
      if ((v as string[]).length) out[k] = v;
    } else if (k === 'additionalProperties') {
      if (v === false) out[k] = v;
    } else out[k] = v;
  }
  const extra = Object.keys(prop).filter((k) => !(PROPERTY_KEYS as readonly string[]).includes(k));
  if (extra.length) throw new Error(`tool input '${at}' uses ${extra.join(', ')}, outside the supported subset`);
  if (!['string', 'integer', 'boolean', 'array', 'object'].includes(out.type as string))
    throw new Error(`tool input '${at}' has no type in the supported subset`);
  if (out.type === 'array' && !out.items) throw new Error(`tool input '${at}' is an array without items`);
  return out as unknown as PropertySchema;
}

type Parsed<T> = { ok: true; data: T } | { ok: false; message: string };

/**
 * safeParse with a message naming every problem in the model's terms. A null for an optional parameter counts as
 * absent (models send it for "not set"); a null for a required one is reported.
 */
export function parseInput<S extends z.ZodMiniObject>(
  schema: S,
  def: ToolDefinition,
  input: unknown,
): Parsed<z.infer<S>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, message: 'the input must be a JSON object.' };
  }
  const required = new Set(def.input_schema.required ?? []);
  const obj = Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== null || required.has(k)));
  const r = schema.safeParse(obj);
  if (r.success) return { ok: true, data: r.data };
  const problems: string[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) problems.push(`unknown parameter '${where([...issue.path, k])}'`);
      continue;
    }
    const at = schemaAt(def, issue.path);
    const problem = describeIssue(issue, where(issue.path), valueAt(obj, issue.path), at);
    if (!problems.includes(problem)) problems.push(problem);
  }
  return { ok: false, message: `invalid input: ${problems.join('; ')}. Expected parameters: ${describeParams(def)}.` };
}

/** An issue's place as the model would write it: `todos[0].status`. */
function where(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('');
}

/** The property schema at `path` (array items for an index, a property for a name); undefined when off the map. */
function schemaAt(def: ToolDefinition, path: readonly PropertyKey[]): PropertySchema | undefined {
  let s: PropertySchema | undefined = {
    type: 'object',
    properties: def.input_schema.properties as Record<string, PropertySchema>,
  };
  for (const p of path) s = typeof p === 'number' ? s?.items : s?.properties?.[String(p)];
  return s;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, key: string, value: unknown, s: PropertySchema | undefined): string {
  const known = ['invalid_type', 'invalid_value', 'too_small', 'too_big'].includes(issue.code);
  // zod/mini carries no locale, so its own messages are a bare "Invalid input": name the failed check instead.
  if (!s || !known) return `'${key}' is invalid (${issue.code})`;
  if (value === undefined) return `'${key}' is required`;
  if (value === null) return `'${key}' must not be null`;
  if (issue.code === 'too_small' && s.minimum !== undefined) return `'${key}' must be at least ${s.minimum}`;
  if (issue.code === 'too_big' && s.maximum !== undefined) return `'${key}' must be at most ${s.maximum}`;
  if (issue.code === 'too_small' && s.minLength === 1) return `'${key}' must not be empty`;
  if (issue.code === 'too_small' && s.minLength !== undefined)
    return `'${key}' must be at least ${s.minLength} characters`;
  if (s.enum) return `'${key}' must be one of ${s.enum.join(', ')}`;
  if (s.type === 'string') return `'${key}' must be a string`;
  if (s.type === 'boolean') return `'${key}' must be true or false`;
  if (s.type === 'array') return `'${key}' must be an array`;
  if (s.type === 'object') return `'${key}' must be an object`;
  return `'${key}' must be an integer`;
}

function describeParams(def: Pick<PropertySchema, 'properties' | 'required'> | ToolDefinition): string {
  const obj = 'input_schema' in def ? def.input_schema : def;
  const req = new Set(obj.required ?? []);
  return Object.entries(obj.properties ?? {})
    .map(([k, p]) => `${k}${req.has(k) ? '' : '?'}: ${describeType(p as Partial<PropertySchema>)}`)
    .join(', ');
}

/** `string`, `a|b`, `array of {content: string, …}`. */
function describeType(s: Partial<PropertySchema>): string {
  if (s.enum) return s.enum.join('|');
  if (s.type === 'array' && s.items) return `array of ${describeType(s.items)}`;
  if (s.type === 'object' && s.properties) return `{${describeParams(s)}}`;
  return s.type ?? 'any';
}
