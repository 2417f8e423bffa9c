import { z } from '../zod.js';
import type { RecommendationService } from '../../serving/service.js';
import type { ApiMetrics } from '../metrics.js';
import { Reply, defineRoute, type AnyRouteSpec } from '../route-spec.js';

const readySchema = z
  .object({
    status: z.enum(['ready', 'not ready']),
    database: z.boolean(),
    model: z.object({ kind: z.string(), version: z.string(), loadedAt: z.string() }).nullable(),
  })
  .openapi('Readiness');

/**
 * Operations routes: liveness, readiness (database reachable, a model loaded and not draining before a
 * shutdown), Prometheus metrics.
 * @example mountRoutes(app, opsRoutes(service, metrics, () => false), options);
 */
export function opsRoutes(
  service: RecommendationService,
  metrics: ApiMetrics,
  draining: () => boolean = () => false,
): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      summary: 'Liveness: the process answers',
      tags: ['ops'],
      validate: { response: z.object({ status: z.literal('ok') }) },
      handler: () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'get',
      path: '/ready',
      summary:
        'Readiness: the database answers, a model is loaded and the server is not shutting down (503 otherwise)',
      tags: ['ops'],
      errors: [{ status: 503, description: 'not ready (same body, status "not ready")' }],
      validate: { response: readySchema },
      handler: async () => {
        const { database, model } = await service.readiness();
        const body = {
          status: database && model && !draining() ? ('ready' as const) : ('not ready' as const),
          database,
          model: service.model() ?? null,
        };
        return new Reply(body.status === 'ready' ? 200 : 503, body);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics: requests and latency per route, model version',
      tags: ['ops'],
      contentType: metrics.contentType,
      validate: {},
      handler: () => metrics.render(),
    }),
  ];
}
