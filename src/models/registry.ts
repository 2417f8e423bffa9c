/**
 * The model registry: the one place that maps a model kind to its factory. The CLI, TUI, API and notebooks
 * resolve models only through it (no if/else over kinds anywhere else). Adding a model: see
 * docs/adding-a-model.md.
 */
import { ValidationError } from '../core/errors.js';
import { MODEL_KINDS, type ModelKind } from '../core/types.js';
import { alsFactory } from './als.js';
import { easeFactory } from './ease.js';
import { itemKnnFactory } from './itemknn.js';
import { neuralFactory } from './neural.js';
import { popularityFactory } from './popularity.js';
import type { ModelFactory } from './types.js';

export const MODELS = {
  als: alsFactory,
  itemknn: itemKnnFactory,
  popularity: popularityFactory,
  neural: neuralFactory,
  ease: easeFactory,
} satisfies Record<ModelKind, ModelFactory>;

/** The kinds the registry can build now, in MODEL_KINDS order. */
export const REGISTERED_KINDS: ModelKind[] = MODEL_KINDS.filter((kind) => kind in MODELS);

/**
 * The factory of a model kind; an unknown name is a ValidationError naming `field` (default 'model').
 * @example const model = getModelFactory('itemknn').create({ neighbours: 100 });
 */
export function getModelFactory(kind: string, field = 'model'): ModelFactory {
  const factory = (MODELS as Partial<Record<string, ModelFactory>>)[kind];
  if (!factory) {
    throw new ValidationError(field, `unknown model '${kind}'; use ${REGISTERED_KINDS.join(', ')}`);
  }
  return factory;
}

/**
 * Parses a comma-separated model list (`als,itemknn`) into kinds, each checked against the registry.
 * @example parseModelList('itemknn, popularity'); // ['itemknn', 'popularity']
 */
export function parseModelList(list: string, field = 'models'): ModelKind[] {
  const kinds = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (kinds.length === 0) throw new ValidationError(field, 'name at least one model');
  for (const kind of kinds) getModelFactory(kind, field);
  return [...new Set(kinds)] as ModelKind[];
}
