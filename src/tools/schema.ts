/**
 * Tool definitions and the small JSON-Schema subset they use (object of string/integer/boolean properties,
 * enums, minimum/maximum), validated here so a malformed call becomes a result the model can fix.
 */

import type { ToolName } from '../constants.ts';
export type { ToolName };

export interface PropertySchema {
  type: 'string' | 'integer' | 'boolean';
  description?: string;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
}

export interface ToolDefinition {
  name: ToolName;
  description: string;
  input_schema: {
    type: 'object';
    properties: Record<string, unknown>;
    required?: string[];
    additionalProperties?: boolean;
  };
}

/** Checks `input` against the definition's schema; returns a message naming every problem, or null when valid. */
export function validateInput(def: ToolDefinition, input: unknown): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'the input must be a JSON object.';
  const obj = input as Record<string, unknown>;
  const props = def.input_schema.properties as Record<string, PropertySchema>;
  const problems: string[] = [];
  for (const key of def.input_schema.required ?? []) {
    if (obj[key] === undefined) problems.push(`'${key}' is required`);
  }
  for (const [key, value] of Object.entries(obj)) {
    const s = props[key];
    if (!s) {
      if (def.input_schema.additionalProperties === false) problems.push(`unknown parameter '${key}'`);
      continue;
    }
    if (value === undefined || value === null) {
      if ((def.input_schema.required ?? []).includes(key)) problems.push(`'${key}' must not be null`);
      continue;
    }
    if (s.type === 'string' && typeof value !== 'string') problems.push(`'${key}' must be a string`);
    else if (s.type === 'boolean' && typeof value !== 'boolean') problems.push(`'${key}' must be true or false`);
    else if (s.type === 'integer' && !Number.isInteger(value)) problems.push(`'${key}' must be an integer`);
    else if (s.enum && !s.enum.includes(value as string)) problems.push(`'${key}' must be one of ${s.enum.join(', ')}`);
    else if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum) problems.push(`'${key}' must be at least ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) problems.push(`'${key}' must be at most ${s.maximum}`);
    }
  }
  return problems.length ? `invalid input: ${problems.join('; ')}. Expected parameters: ${describe(def)}.` : null;
}

function describe(def: ToolDefinition): string {
  const req = new Set(def.input_schema.required ?? []);
  const props = def.input_schema.properties as Record<string, PropertySchema>;
  return Object.entries(props)
    .map(([k, s]) => `${k}${req.has(k) ? '' : '?'}: ${s.enum ? s.enum.join('|') : s.type}`)
    .join(', ');
}
