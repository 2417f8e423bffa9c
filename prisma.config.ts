import { defineConfig } from 'prisma/config';

/**
 * Prisma 7 reads the schema path, the migrations folder and the datasource URL from here (schema.prisma holds
 * no URL). DATABASE_URL is only needed by `prisma migrate deploy`; `prisma generate` works without it.
 */
// Prisma loads this file's default export (the one default export in the project; lint exempts this file).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
