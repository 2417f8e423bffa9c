import type { RatingValue } from './ports.js';

/** What the service remembers of one user between requests. */
export interface UserState {
  ratings: readonly RatingValue[];
  /** When the ratings were read from the database (ms, the cache's clock). */
  fetchedAt: number;
  /** The ranking computed from these ratings, for one model version (top MAX_K movie ids). */
  ranked?: { version: string; ids: readonly number[] };
}

export interface UserCacheOptions {
  /** Users kept at most; the least recently used go first. */
  capacity: number;
  /**
   * How long ratings read from the database are trusted (changeable with `setTtl`). 0 reads the database on
   * every request.
   */
  ttlMs: number;
  now?: () => number;
}

/**
 * A bounded LRU of users' ratings and rankings with a freshness limit. A Map keeps insertion order, so
 * re-inserting on each hit makes its first key the least recently used.
 * @example const cache = new UserCache({ capacity: 50_000, ttlMs: 5000 }); cache.get(1)?.ranked;
 */
export class UserCache {
  private readonly entries = new Map<number, UserState>();
  private readonly now: () => number;
  private ttlMs: number;

  constructor(private readonly options: UserCacheOptions) {
    this.now = options.now ?? (() => performance.now());
    this.ttlMs = options.ttlMs;
  }

  /** Changes how long entries are trusted, for the entries held as well as new ones. */
  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  /** The clock reading to stamp new entries with. */
  time(): number {
    return this.now();
  }

  /** The user's state if it is still fresh. */
  get(userId: number): UserState | undefined {
    const state = this.entries.get(userId);
    if (!state) return undefined;
    // Expired entries stay (until replaced or evicted) so a re-read can reuse their ranking: see previous().
    if (this.now() - state.fetchedAt > this.ttlMs) return undefined;
    this.entries.delete(userId);
    this.entries.set(userId, state);
    return state;
  }

  /** The user's last state whatever its age (to compare a re-read against), without touching the LRU order. */
  previous(userId: number): UserState | undefined {
    return this.entries.get(userId);
  }

  /** Past half its TTL: still served, but worth re-reading before it expires (refresh ahead). */
  isAging(state: UserState): boolean {
    return this.now() - state.fetchedAt > this.ttlMs / 2;
  }

  set(userId: number, state: UserState): void {
    if (this.ttlMs <= 0 || this.options.capacity <= 0) return;
    this.entries.delete(userId);
    this.entries.set(userId, state);
    while (this.entries.size > this.options.capacity) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
    }
  }

  invalidate(userId: number): void {
    this.entries.delete(userId);
  }

  /**
   * Marks a user's entry stale without forgetting it: the next `get` misses, and `previous` still offers the
   * old ratings and ranking, so a re-read that finds the same ratings keeps the ranking.
   */
  expire(userId: number): void {
    const state = this.entries.get(userId);
    if (state) state.fetchedAt = Number.NEGATIVE_INFINITY;
  }

  /** `expire` for every entry. */
  expireAll(): void {
    for (const state of this.entries.values()) state.fetchedAt = Number.NEGATIVE_INFINITY;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
