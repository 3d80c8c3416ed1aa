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
  /** Arrays: the schema of each item (a flat property, or an object of flat properties). */
  items?: PropertySchema;
  minItems?: number;
  maxItems?: number;
  /** Objects (array items only): their flat properties. */
  properties?: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
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
   * A z.strictObject of string/integer/boolean/enum properties with z.describe() texts; a property may also be an
   * array of those, or of strict objects of those (e.g. MultiEdit's `edits`).
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
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'additionalProperties',
  'description',
] as const;

/**
 * The JSON schema of a zod object, in the small subset the model is sent: no `$schema`, `additionalProperties: false`
 * kept, integers as `type: integer` with their bounds, but without the ±2^53-1 bounds zod adds to every z.int() (they
 * say nothing to the model and would grow every request). Properties are flat (string, integer, boolean, enum), or
 * arrays of flat properties or of objects whose properties are flat.
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
  for (const [key, prop] of Object.entries(json.properties ?? {})) properties[key] = cleanProperty(key, prop, 0);
  return {
    type: 'object',
    properties,
    ...(json.required?.length ? { required: json.required } : {}),
    ...(json.additionalProperties === false ? { additionalProperties: false } : {}),
  };
}

/**
 * One property in the sent key order. Depth 0 is a parameter; depth 1 an array's items; depth 2 a property of an
 * item object. Anything deeper, or an object outside an array, is refused: the error messages describe these only.
 */
function cleanProperty(key: string, prop: Record<string, unknown>, depth: number): PropertySchema {
  const nested = prop.type === 'array' ? depth === 0 : prop.type === 'object' ? depth === 1 : true;
  const out: Record<string, unknown> = {};
  for (const k of PROPERTY_KEYS) {
    const v = prop[k];
    if (v === undefined) continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    if (k === 'items' && nested) out[k] = cleanProperty(key, v as Record<string, unknown>, depth + 1);
    else if (k === 'properties' && nested) {
      const props = v as Record<string, Record<string, unknown>>;
      out[k] = Object.fromEntries(
        Object.entries(props).map(([n, p]) => [n, cleanProperty(`${key}.${n}`, p, depth + 1)]),
      );
    } else out[k] = v;
  }
  const allowed = nested ? PROPERTY_KEYS : PROPERTY_KEYS.filter((k) => !STRUCTURE_KEYS.has(k));
  const extra = Object.keys(prop).filter((k) => !(allowed as readonly string[]).includes(k));
  if (extra.length) throw new Error(`tool input '${key}' uses ${extra.join(', ')}, outside the supported subset`);
  return out as unknown as PropertySchema;
}

const STRUCTURE_KEYS: ReadonlySet<string> = new Set([
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'additionalProperties',
]);

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
    const at = locate(def, obj, issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) problems.push(`unknown parameter '${at.name ? `${at.name}.` : ''}${k}'`);
      continue;
    }
    const problem = describeIssue(issue, at.name, at.value, at.schema);
    if (!problems.includes(problem)) problems.push(problem);
  }
  return { ok: false, message: `invalid input: ${problems.join('; ')}. Expected parameters: ${describeParams(def)}.` };
}

/** An issue's place in the model's terms (`edits[1].old_string`), with the value given there and its schema. */
function locate(
  def: ToolDefinition,
  obj: Record<string, unknown>,
  at: readonly PropertyKey[],
): { name: string; value: unknown; schema: PropertySchema | undefined } {
  let name = '';
  let value: unknown = obj;
  let schema: PropertySchema | undefined = { type: 'object', properties: def.input_schema.properties as never };
  for (const step of at) {
    const index = typeof step === 'number';
    name = index ? `${name}[${step}]` : name ? `${name}.${String(step)}` : String(step);
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[step] : undefined;
    schema = index ? schema?.items : schema?.properties?.[String(step)];
  }
  return { name, value, schema };
}

function describeIssue(issue: z.core.$ZodIssue, key: string, value: unknown, s: PropertySchema | undefined): string {
  const known = ['invalid_type', 'invalid_value', 'too_small', 'too_big'].includes(issue.code);
  // zod/mini carries no locale, so its own messages are a bare "Invalid input": name the failed check instead.
  if (!s || !known) return `'${key}' is invalid (${issue.code})`;
  if (value === undefined) return `'${key}' is required`;
  if (value === null) return `'${key}' must not be null`;
  if (s.type === 'array' && Array.isArray(value)) {
    if (issue.code === 'too_small') return `'${key}' must have at least ${s.minItems ?? 1} item(s)`;
    if (issue.code === 'too_big') return `'${key}' must have at most ${s.maxItems} item(s)`;
  }
  if (issue.code === 'too_small' && s.minimum !== undefined) return `'${key}' must be at least ${s.minimum}`;
  if (issue.code === 'too_big' && s.maximum !== undefined) return `'${key}' must be at most ${s.maximum}`;
  if (s.enum) return `'${key}' must be one of ${s.enum.join(', ')}`;
  if (s.type === 'string') return `'${key}' must be a string`;
  if (s.type === 'boolean') return `'${key}' must be true or false`;
  if (s.type === 'array') return `'${key}' must be an array`;
  if (s.type === 'object') return `'${key}' must be an object`;
  return `'${key}' must be an integer`;
}

function describeParams(def: ToolDefinition): string {
  const req = new Set(def.input_schema.required ?? []);
  return Object.entries(def.input_schema.properties)
    .map(([k, p]) => `${k}${req.has(k) ? '' : '?'}: ${describeType(p as Partial<PropertySchema>)}`)
    .join(', ');
}

/** `string`, `a|b`, `[{old_string, new_string, replace_all?}]`. */
function describeType(s: Partial<PropertySchema>): string {
  if (s.enum) return s.enum.join('|');
  if (s.type === 'array') return `[${s.items ? describeType(s.items) : 'any'}]`;
  if (s.type === 'object' && s.properties) {
    const req = new Set(s.required ?? []);
    return `{${Object.keys(s.properties)
      .map((k) => `${k}${req.has(k) ? '' : '?'}`)
      .join(', ')}}`;
  }
  return s.type ?? 'any';
}
