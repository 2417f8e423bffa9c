import type { Database } from '../client.js';
import { insertWithNextId, requireId } from './errors.js';
import type { UserRecord } from './types.js';

export type NewUser = Partial<Omit<UserRecord, 'id'>>;

export interface UsersRepository {
  exists(id: number): Promise<boolean>;
  byId(id: number): Promise<UserRecord | null>;
  /** Creates a user with the next free id (one above the largest). */
  create(attributes?: NewUser): Promise<UserRecord>;
  count(): Promise<number>;
}

/**
 * User reads and creation.
 * @example const user = await createUsersRepository(db).create(); // { id: 944, gender: null, ... } on ml-100k
 */
export function createUsersRepository(db: Database): UsersRepository {
  const select = { id: true, gender: true, age: true, occupation: true, zip: true } as const;
  return {
    async exists(id) {
      return (await db.prisma.user.count({ where: { id: requireId(id, 'id') } })) > 0;
    },
    byId: async (id) => db.prisma.user.findUnique({ where: { id: requireId(id, 'id') }, select }),
    async create(attributes = {}) {
      const values = [
        attributes.gender ?? null,
        attributes.age ?? null,
        attributes.occupation ?? null,
        attributes.zip ?? null,
      ];
      return insertWithNextId('user', async () => {
        const [row] = await db.query<UserRecord & Record<string, unknown>>(
          `INSERT INTO users (id, gender, age, occupation, zip)
             SELECT COALESCE(MAX(id), 0) + 1, $1, $2::int, $3, $4 FROM users
             RETURNING id, gender, age, occupation, zip`,
          values,
        );
        return row;
      });
    },
    count: () => db.prisma.user.count(),
  };
}
