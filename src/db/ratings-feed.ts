import type { Database } from './client.js';
import type { NotificationSubscription } from './sql.js';

/**
 * The ratings change feed: the `ratings` table's triggers (migration `*_ratings_change_feed`) send one
 * NOTIFY per statement that changes ratings, naming the users it touched, or '*' when it touched more than
 * fit in one notification (bulk loads, TRUNCATE). Every writer counts: this service, another replica, a
 * batch job, `psql`.
 */

/** Which users' ratings changed: some users, or possibly anyone. */
export type RatingsChange = { users: readonly number[] } | 'all';

export interface RatingsFeedHandlers {
  change(change: RatingsChange): void;
  /** See NotificationHandlers.listening: changes made while the feed is down are never reported. */
  listening?(live: boolean): void;
}

/**
 * Parses a notification payload: comma-separated user ids, or '*'. Anything else is read as 'all', so a
 * payload we cannot read never leaves a cache trusting stale ratings.
 * @example parseRatingsChange('3,17') // { users: [3, 17] }
 */
export function parseRatingsChange(payload: string): RatingsChange {
  if (payload === '*' || payload === '') return 'all';
  const users = payload.split(',').map(Number);
  return users.every((id) => Number.isSafeInteger(id)) ? { users } : 'all';
}

/**
 * Subscribes to the ratings change feed of the database's schema (channels are per schema: NOTIFY is
 * database-wide). The schema must be migrated.
 * @example const feed = await subscribeToRatingChanges(db, { change: (c) => cache.forget(c) });
 */
export async function subscribeToRatingChanges(
  db: Database,
  handlers: RatingsFeedHandlers,
): Promise<NotificationSubscription> {
  const [row] = await db.query<{ channel: string }>(
    'SELECT recsys_ratings_channel(current_schema()) AS channel',
  );
  if (!row) throw new Error('recsys_ratings_channel() returned no row');
  return db.listen(row.channel, {
    notify: (payload) => handlers.change(parseRatingsChange(payload)),
    ...(handlers.listening ? { listening: handlers.listening } : {}),
  });
}
