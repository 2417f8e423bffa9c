import type { ZodTypeAny } from 'zod';

/**
 * Compiled fast paths for the request schemas every hot route has: objects whose fields are whole numbers
 * arriving as strings (`integerString` in schemas.ts, possibly with a `.default()`), i.e. ids and `k`.
 *
 * zod stays the single definition of what is valid (the OpenAPI document and the error messages come from
 * it). A fast path reads its rules out of the zod schema itself (the string's regex checks, the number's
 * int/min/max checks, the default) and answers only when the value is valid; anything else returns
 * undefined and the caller runs zod, which then names the field and the reason. So a fast path can only
 * accept what zod accepts, with the same output, and `test/api/fast-parse.test.ts` checks that against zod on
 * valid, edge and invalid inputs. Schemas of any other shape get no fast path.
 *
 * Why: under `npm run bench:api` zod's parse of params and query was ~2.5 µs of a cached answer's ~45, and
 * near the point where the server and the load generator cost the same, every µs costs several in
 * throughput (the client falls idle and each response then pays to wake it).
 */

/** Parses a value into the schema's output, or gives undefined when only zod can tell what is wrong. */
export type FastParser = (value: unknown) => Record<string, number> | undefined;

interface WholeNumberField {
  key: string;
  /** Raw text used when the field is absent (a `.default()`), else undefined: absent means invalid. */
  fallback: string | undefined;
  patterns: RegExp[];
  integer: boolean;
  min: number;
  max: number;
}

type Def = Record<string, unknown> & { typeName?: string; checks?: Record<string, unknown>[] };

const defOf = (schema: ZodTypeAny): Def => schema._def as Def;

/** A field `z.string().regex(...)...pipe(z.coerce.number().int().min().max())`, maybe `.default('text')`. */
function wholeNumberField(key: string, schema: ZodTypeAny): WholeNumberField | undefined {
  let def = defOf(schema);
  let fallback: string | undefined;
  if (def.typeName === 'ZodDefault') {
    const value: unknown = (def.defaultValue as () => unknown)();
    if (typeof value !== 'string') return undefined;
    fallback = value;
    def = defOf(def.innerType as ZodTypeAny);
  }
  if (def.typeName !== 'ZodPipeline') return undefined;
  const text = defOf(def.in as ZodTypeAny);
  const number = defOf(def.out as ZodTypeAny);
  if (text.typeName !== 'ZodString' || text.coerce === true) return undefined;
  if (number.typeName !== 'ZodNumber' || number.coerce !== true) return undefined;
  const field: WholeNumberField = {
    key,
    fallback,
    patterns: [],
    integer: false,
    min: Number.NEGATIVE_INFINITY,
    max: Number.POSITIVE_INFINITY,
  };
  for (const check of text.checks ?? []) {
    const regex = check.regex;
    // A global or sticky regex keeps state between tests; zod resets it, we would not: no fast path.
    if (check.kind !== 'regex' || !(regex instanceof RegExp) || regex.global || regex.sticky)
      return undefined;
    field.patterns.push(regex);
  }
  for (const check of number.checks ?? []) {
    if (check.kind === 'int') field.integer = true;
    else if (check.kind === 'min' && check.inclusive === true)
      field.min = Math.max(field.min, Number(check.value));
    else if (check.kind === 'max' && check.inclusive === true)
      field.max = Math.min(field.max, Number(check.value));
    else return undefined;
  }
  // Only the regex decides which strings get through, so it must rule out what Number() reads loosely.
  return field.patterns.length > 0 ? field : undefined;
}

/**
 * The fast path for a zod object of whole-number string fields (unknown keys stripped, zod's default), or
 * undefined for any other schema.
 * @example const parseParams = compileFastParser(idParams); parseParams?.({ id: '7' }) // { id: 7 }
 */
export function compileFastParser(schema: ZodTypeAny): FastParser | undefined {
  const def = defOf(schema);
  if (def.typeName !== 'ZodObject' || def.unknownKeys !== 'strip') return undefined;
  if (defOf(def.catchall as ZodTypeAny).typeName !== 'ZodNever') return undefined;
  const shape = (def.shape as () => Record<string, ZodTypeAny>)();
  const fields: WholeNumberField[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const compiled = wholeNumberField(key, field);
    if (!compiled) return undefined;
    fields.push(compiled);
  }
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const input = value as Record<string, unknown>;
    const output: Record<string, number> = {};
    for (const field of fields) {
      // zod's default replaces undefined only (null stays null, and fails).
      const given = input[field.key];
      const raw = given === undefined ? field.fallback : given;
      if (typeof raw !== 'string') return undefined;
      for (const pattern of field.patterns) if (!pattern.test(raw)) return undefined;
      const number = Number(raw);
      if (Number.isNaN(number) || (field.integer && !Number.isInteger(number))) return undefined;
      if (number < field.min || number > field.max) return undefined;
      output[field.key] = number;
    }
    return output;
  };
}
