import { describe, expect, it } from 'vitest';
import type { ZodTypeAny } from 'zod';
import { compileFastParser } from '../../src/api/fast-parse.js';
import { idParams, integerString, kQuery } from '../../src/api/schemas.js';
import { z } from '../../src/api/zod.js';

const TEXTS = [
  '1',
  '7',
  '10',
  '100',
  '101',
  '0',
  '00',
  '007',
  '-1',
  '+1',
  '1.5',
  '1.0',
  '1e3',
  '0x10',
  ' 7',
  '7 ',
  '',
  'abc',
  '2147483647',
  '2147483648',
  '999999999999',
  '9999999999999',
  'Infinity',
  'NaN',
  '１',
];
const VALUES: unknown[] = [...TEXTS, undefined, null, 7, ['1', '2'], {}, true];

/** Every input shape the route sees: each value for each field, plus wrong containers and extra keys. */
function inputs(keys: string[]): unknown[] {
  const out: unknown[] = [null, undefined, 'text', ['1'], {}, { other: '1' }];
  for (const key of keys)
    for (const value of VALUES) out.push({ [key]: value }, { [key]: value, extra: 'x' });
  return out;
}

/** The fast path must agree with zod: same output when it answers, and answer only what zod accepts. */
function expectAgreement(schema: ZodTypeAny, keys: string[]): { answered: number; deferred: number } {
  const fast = compileFastParser(schema);
  expect(fast).toBeDefined();
  let answered = 0;
  let deferred = 0;
  for (const input of inputs(keys)) {
    const zod = schema.safeParse(input);
    const quick = fast?.(input);
    if (quick === undefined) {
      deferred++;
      // Deferring a valid input is allowed (zod then answers) but none of ours should need it.
      expect(zod.success, JSON.stringify(input)).toBe(false);
    } else {
      answered++;
      expect(zod.success, JSON.stringify(input)).toBe(true);
      if (zod.success) expect(quick, JSON.stringify(input)).toEqual(zod.data);
    }
  }
  return { answered, deferred };
}

describe('compiled fast paths of request schemas', () => {
  it('agree with zod on ids: valid, edge and invalid values, wrong types, extra keys', () => {
    const { answered, deferred } = expectAgreement(idParams, ['id']);
    expect(answered).toBeGreaterThan(10);
    expect(deferred).toBeGreaterThan(40);
  });

  it('agree with zod on k, whose default is applied only when k is absent', () => {
    expectAgreement(kQuery, ['k']);
    expect(compileFastParser(kQuery)?.({})).toEqual({ k: 10 });
    expect(compileFastParser(kQuery)?.({ k: null })).toBeUndefined();
  });

  it('agree with zod on several fields at once', () => {
    const schema = z.object({ a: integerString(1, 5), b: integerString(0, 1000).default('3') });
    const fast = compileFastParser(schema);
    expect(fast?.({ a: '5', b: '1000' })).toEqual({ a: 5, b: 1000 });
    expect(fast?.({ a: '5' })).toEqual({ a: 5, b: 3 });
    expect(fast?.({ a: '6' })).toBeUndefined();
    expectAgreement(schema, ['a', 'b']);
  });

  it('are not compiled for schemas of any other shape (zod alone parses them)', () => {
    expect(compileFastParser(z.object({ q: z.string() }))).toBeUndefined();
    expect(compileFastParser(z.object({ id: integerString(1, 5) }).strict())).toBeUndefined();
    expect(compileFastParser(z.object({ id: integerString(1, 5).optional() }))).toBeUndefined();
    expect(compileFastParser(z.object({ id: z.coerce.number().int() }))).toBeUndefined();
    expect(compileFastParser(z.object({ id: z.string().pipe(z.coerce.number()) }))).toBeUndefined();
    expect(
      compileFastParser(z.object({ id: z.string().regex(/[0-9]/g).pipe(z.coerce.number()) })),
    ).toBeUndefined();
    expect(compileFastParser(integerString(1, 5))).toBeUndefined();
  });
});
