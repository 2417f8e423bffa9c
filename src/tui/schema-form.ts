/**
 * The hyperparameter form of a model, generated from its zod schema (ModelFactory.schema, a strict object
 * whose fields all have defaults): one field per key with its kind, default and limits, and the schema's own
 * reason when a typed value is refused.
 */
import { z } from 'zod';

export type FieldKind = 'integer' | 'number' | 'enum' | 'boolean' | 'string';

/** One editable field of the form. */
export interface FormField {
  name: string;
  kind: FieldKind;
  /** The schema's default, as the form shows it. */
  defaultText: string;
  /** Choices of an enum (or 'true'/'false' for a boolean): cycled with the arrow keys. */
  choices: string[] | null;
  /** Bounds of a number, where the schema states them. */
  min: number | null;
  max: number | null;
  /** The schema's description, where it has one. */
  description: string | null;
}

type AnyZod = z.ZodTypeAny;

/**
 * Peels defaults, optionals, nullables and effects off a field's schema; returns the inner type and default.
 * Only zod's public API: a default is what the schema parses `undefined` to. (A pipeline has no public way
 * to its input type, so a piped field shows as text; no model schema pipes.)
 */
function unwrap(schema: AnyZod): { inner: AnyZod; fallback: unknown } {
  let inner = schema;
  let fallback: unknown = undefined;
  for (;;) {
    if (inner instanceof z.ZodDefault) {
      if (fallback === undefined) fallback = inner.parse(undefined);
      inner = inner.removeDefault();
    } else if (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) {
      inner = inner.unwrap();
    } else if (inner instanceof z.ZodEffects) {
      inner = inner.innerType();
    } else if (inner instanceof z.ZodBranded) {
      inner = inner.unwrap();
    } else {
      return { inner, fallback };
    }
  }
}

function describeKind(inner: AnyZod): Pick<FormField, 'kind' | 'choices' | 'min' | 'max'> {
  if (inner instanceof z.ZodNumber) {
    return {
      kind: inner.isInt ? 'integer' : 'number',
      choices: null,
      min: inner.minValue,
      max: inner.maxValue,
    };
  }
  if (inner instanceof z.ZodBoolean)
    return { kind: 'boolean', choices: ['true', 'false'], min: null, max: null };
  if (inner instanceof z.ZodEnum) {
    return { kind: 'enum', choices: [...(inner.options as string[])], min: null, max: null };
  }
  if (inner instanceof z.ZodNativeEnum) {
    const values = Object.values(inner.enum as Record<string, string | number>).map(String);
    return { kind: 'enum', choices: values, min: null, max: null };
  }
  if (inner instanceof z.ZodUnion) {
    // e.g. `z.union([z.boolean(), z.enum(['true', 'false'])])`: a boolean that also takes its text.
    const options = (inner.options as AnyZod[]).map((o) => unwrap(o).inner);
    if (options.some((o) => o instanceof z.ZodBoolean)) {
      return { kind: 'boolean', choices: ['true', 'false'], min: null, max: null };
    }
    const first = options[0];
    if (first) return describeKind(first);
  }
  if (inner instanceof z.ZodLiteral) {
    return { kind: 'enum', choices: [String(inner.value)], min: null, max: null };
  }
  return { kind: 'string', choices: null, min: null, max: null };
}

/**
 * The form of a zod object schema: one field per key, in the schema's order, with its default.
 * @example formFields(getModelFactory('als').schema).map((f) => `${f.name}=${f.defaultText}`);
 */
export function formFields(
  schema: z.AnyZodObject,
  defaults: Readonly<Record<string, unknown>> = {},
): FormField[] {
  return Object.entries(schema.shape as Record<string, AnyZod>).map(([name, field]) => {
    const { inner, fallback } = unwrap(field);
    const value = defaults[name] ?? fallback;
    return {
      name,
      ...describeKind(inner),
      defaultText: value === undefined ? '' : String(value),
      description: field.description ?? inner.description ?? null,
    };
  });
}

/** A form's texts, typed for the schema: numbers stay text for `z.coerce`, booleans become booleans. */
function typedValue(field: FormField, text: string): unknown {
  if (field.kind === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (field.kind === 'integer' || field.kind === 'number') {
    // An empty box must be refused, not coerced to 0.
    return text.trim() === '' ? undefined : Number(text);
  }
  return text;
}

/**
 * The schema's reason for refusing each field's text (only the fields with a problem appear).
 * @example validateForm(schema, fields, { factors: '0' }); // { factors: 'Number must be greater than or equal to 1' }
 */
export function validateForm(
  schema: z.AnyZodObject,
  fields: readonly FormField[],
  texts: Readonly<Record<string, string>>,
): Record<string, string> {
  const problems: Record<string, string> = {};
  const input: Record<string, unknown> = {};
  for (const field of fields) {
    const text = texts[field.name] ?? field.defaultText;
    const value = typedValue(field, text);
    if (value === undefined) problems[field.name] = 'a value is required';
    else if (typeof value === 'number' && Number.isNaN(value))
      problems[field.name] = `'${text}' is not a number`;
    else input[field.name] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? '');
      if (name !== '' && problems[name] === undefined) problems[name] = issue.message;
    }
  }
  return problems;
}

/**
 * The fields whose text differs from the default, typed: what the CLI is given as flags (so the equivalent
 * command stays short and the CLI's own defaults, e.g. RECSYS_WORKERS, apply to the rest).
 * @example changedValues(fields, { factors: '32' }); // { factors: 32 }
 */
export function changedValues(
  fields: readonly FormField[],
  texts: Readonly<Record<string, string>>,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const field of fields) {
    const text = texts[field.name];
    if (text === undefined || text === field.defaultText) continue;
    const value = typedValue(field, text);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out[field.name] = value;
  }
  return out;
}

/**
 * The next choice of an enum or boolean field (arrow keys), wrapping around.
 * @example cycleChoice(field, 'cg', 1); // 'cholesky'
 */
export function cycleChoice(field: FormField, text: string, step: 1 | -1): string {
  const choices = field.choices ?? [];
  if (choices.length === 0) return text;
  const at = choices.indexOf(text);
  return choices[(((at < 0 ? 0 : at + step) % choices.length) + choices.length) % choices.length] as string;
}
