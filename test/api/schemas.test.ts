import { describe, expect, it } from 'vitest';
import type { ZodTypeAny } from 'zod';
import { apiRoutes } from '../../src/api/app.js';
import { createApiMetrics } from '../../src/api/metrics.js';
import { idParams, integerString, kQuery } from '../../src/api/schemas.js';
import type { RecommendationService } from '../../src/serving/service.js';

/** Paths (within a schema) of every zod effect (.transform, .refine, .superRefine, z.preprocess). */
function effectsIn(schema: ZodTypeAny, at = '(root)'): string[] {
  const def = schema._def as Record<string, unknown> & { typeName?: string };
  if (def.typeName === 'ZodEffects') return [at];
  const children: [string, ZodTypeAny][] = [];
  if (def.typeName === 'ZodObject') {
    const shape = (def.shape as () => Record<string, ZodTypeAny>)();
    for (const [key, child] of Object.entries(shape)) children.push([`${at}.${key}`, child]);
  }
  for (const key of ['innerType', 'schema', 'in', 'out', 'type'] as const) {
    const child = def[key] as ZodTypeAny | undefined;
    if (child && typeof child === 'object' && '_def' in child) children.push([at, child]);
  }
  return children.flatMap(([path, child]) => effectsIn(child, path));
}

describe('request schemas', () => {
  it('use no zod effects on any route (they keep every parse alive through scavenges, docs/architecture.md)', () => {
    // The routes are only built here, never called: the service is not needed.
    const routes = apiRoutes(
      {} as RecommendationService,
      createApiMetrics(() => undefined),
      () => ({}),
    );
    const found = routes.flatMap((route) =>
      (['params', 'query', 'body'] as const).flatMap((location) => {
        const schema = route.validate[location];
        return schema ? effectsIn(schema as ZodTypeAny, `${route.method} ${route.path} ${location}`) : [];
      }),
    );
    expect(routes.length).toBeGreaterThan(10);
    expect(found).toEqual([]);
    // The check itself finds an effect where there is one.
    expect(effectsIn(integerString(1, 2).transform((n) => n + 1))).toEqual(['(root)']);
  });

  it('parse ids and k strictly, with the default k on the input side', () => {
    expect(kQuery.parse({})).toEqual({ k: 10 });
    expect(kQuery.parse({ k: '100' })).toEqual({ k: 100 });
    expect(idParams.parse({ id: '2147483647' })).toEqual({ id: 2147483647 });
    for (const bad of ['0', '-1', '1.5', '1e3', '0x10', ' 7', '2147483648', 'abc', '']) {
      const parsed = idParams.safeParse({ id: bad });
      expect(parsed.success, bad).toBe(false);
      if (!parsed.success)
        expect(parsed.error.issues[0]?.message).toBe('must be a whole number from 1 to 2147483647');
    }
    expect(kQuery.safeParse({ k: '101' }).success).toBe(false);
  });
});
