import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// `.openapi()` (component names, integer types, descriptions) exists only once zod is extended; every api
// file imports `z` from here so no file depends on another having been imported first.
extendZodWithOpenApi(z);

/**
 * zod, extended with `.openapi()` for the OpenAPI document.
 * @example import { z } from '../zod.js'; const id = z.number().int().openapi({ description: 'MovieLens id' });
 */
export { z };
