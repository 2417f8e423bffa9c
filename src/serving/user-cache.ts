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

interface Slot {
  state: UserState;
  /** Asked for since it was last passed over by eviction (the "second chance" bit). */
  used: boolean;
}

/**
 * A bounded cache of users' ratings and rankings with a freshness limit, evicting by second chance (CLOCK):
 * a hit only sets a bit, and eviction walks from the oldest entry, moving the ones asked for since to the
 * back and dropping the first one that was not. That is LRU up to the order among recently used users,
 * without re-inserting into the Map on every hit (the hot path of a cached recommendations answer).
 * @example const cache = new UserCache({ capacity: 50_000, ttlMs: 5000 }); cache.get(1)?.ranked;
 */
export class UserCache {
  private readonly entries = new Map<number, Slot>();
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
    const slot = this.entries.get(userId);
    // Expired entries stay (until replaced or evicted) so a re-read can reuse their ranking: see previous().
    if (!slot || this.now() - slot.state.fetchedAt > this.ttlMs) return undefined;
    slot.used = true;
    return slot.state;
  }

  /** The user's last state whatever its age (to compare a re-read against), without counting as a use. */
  previous(userId: number): UserState | undefined {
    return this.entries.get(userId)?.state;
  }

  /** Past half its TTL: still served, but worth re-reading before it expires (refresh ahead). */
  isAging(state: UserState): boolean {
    return this.now() - state.fetchedAt > this.ttlMs / 2;
  }

  set(userId: number, state: UserState): void {
    if (this.ttlMs <= 0 || this.options.capacity <= 0) return;
    this.entries.delete(userId);
    this.entries.set(userId, { state, used: false });
    while (this.entries.size > this.options.capacity) {
      const [oldest, slot] = this.entries.entries().next().value as [number, Slot];
      this.entries.delete(oldest);
      if (slot.used && oldest !== userId) {
        slot.used = false;
        this.entries.set(oldest, slot);
      }
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
    const slot = this.entries.get(userId);
    if (slot) slot.state.fetchedAt = Number.NEGATIVE_INFINITY;
  }

  /** `expire` for every entry. */
  expireAll(): void {
    for (const slot of this.entries.values()) slot.state.fetchedAt = Number.NEGATIVE_INFINITY;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
