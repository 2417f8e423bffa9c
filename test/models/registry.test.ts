import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { MODEL_KINDS } from '../../src/core/types.js';
import { getModelFactory, MODELS, parseModelList, REGISTERED_KINDS } from '../../src/models/registry.js';

describe('model registry', () => {
  it('maps each registered kind to a factory of that kind', () => {
    for (const [kind, factory] of Object.entries(MODELS)) {
      expect(factory.kind).toBe(kind);
      expect(getModelFactory(kind)).toBe(factory);
      expect(MODEL_KINDS).toContain(kind);
    }
    expect(REGISTERED_KINDS).toEqual(MODEL_KINDS.filter((k) => k in MODELS));
  });

  it('builds models whose kind matches and whose defaults parse back unchanged', () => {
    for (const kind of REGISTERED_KINDS) {
      const factory = getModelFactory(kind);
      expect(factory.create().kind).toBe(kind);
      expect(factory.parseHyperparameters({ ...factory.defaults })).toEqual(factory.defaults);
    }
  });

  it('refuses an unknown model naming the field and listing the known ones', () => {
    expect(() => getModelFactory('svd')).toThrow(ValidationError);
    expect(() => getModelFactory('svd')).toThrow(/^model: unknown model 'svd'; use .*itemknn/);
    expect(() => parseModelList('itemknn,svd')).toThrow(/^models: unknown model 'svd'/);
    expect(() => parseModelList(' , ')).toThrow(/models: name at least one model/);
  });

  it('parses a comma-separated list, trimming and dropping repeats', () => {
    expect(parseModelList(' itemknn, popularity,itemknn')).toEqual(['itemknn', 'popularity']);
  });
});
