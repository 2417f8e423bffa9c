import { z } from '../zod.js';
import type { RecommendationService } from '../../serving/service.js';
import { defineRoute, type AnyRouteSpec } from '../route-spec.js';

const modelSchema = z
  .object({ kind: z.string(), version: z.string(), loadedAt: z.string() })
  .openapi('ModelVersion');

/**
 * Admin routes (bearer token): reload the artifact `current` points to.
 * @example mountRoutes(app, adminRoutes(service), options);
 */
export function adminRoutes(service: RecommendationService): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/admin/reload',
      summary: 'Load the artifact `current` points to if it is new, and swap it in without dropping requests',
      tags: ['admin'],
      auth: true,
      validate: {
        response: z.object({
          changed: z.boolean(),
          previous: z.string().nullable(),
          model: modelSchema.nullable(),
        }),
      },
      handler: () => service.reload(),
    }),
  ];
}
