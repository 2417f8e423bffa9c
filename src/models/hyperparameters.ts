/**
 * Hyperparameter validation shared by the model factories: a strict zod object per model, with the first
 * problem reported as a ValidationError naming the field (`itemknn.neighbours: ...`).
 */
import type { z } from 'zod';
import { ValidationError } from '../core/errors.js';

/**
 * Parses `input` with `schema` (a strict object whose fields have defaults), so unknown names and bad values
 * are refused with the field named.
 * @example const h = parseHyperparameterInput('itemknn', schema, { neighbours: '50' });
 */
export function parseHyperparameterInput<S extends z.ZodTypeAny>(
  kind: string,
  schema: S,
  input: Record<string, unknown>,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.output<S>;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? `${kind}.${issue.path.join('.')}` : kind;
  const message =
    issue?.code === 'unrecognized_keys'
      ? `unknown hyperparameter ${issue.keys.map((k) => `'${k}'`).join(', ')}`
      : (issue?.message ?? 'invalid hyperparameters');
  throw new ValidationError(field, message);
}
