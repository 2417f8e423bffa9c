import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { ModelSlot } from '../../src/serving/model-slot.js';
import { createUserRankings, type UserRankings } from '../../src/serving/user-rankings.js';
import { catalogAndPopularity, gate, ratingsInMemory, servablePopularity } from './support.js';

/**
 * The user rankings over a real popularity model and a ModelSlot, with users' ratings in memory behind the
 * data port (reads can be held open) and a clock the test moves.
 */
async function setup(ttlMs = 1_000) {
  const store = ratingsInMemory();
  const served = await servablePopularity('v1');
  const slot = new ModelSlot();
  slot.swap(served.loaded);
  const { catalog, popularity } = catalogAndPopularity();
  const clock = { now: 0 };
  const rankings: UserRankings = createUserRankings({
    data: store.data,
    slot,
    logger: silentLogger,
    kind: 'popularity',
    catalog: () => catalog,
    popularity: () => popularity,
    ttlMs,
    now: () => clock.now,
  });
  return { ...store, served, rankings, clock };
}

/** Resolves once `hold.entered` has reached `n` (a read or a model call is waiting on its gate). */
async function entered(hold: { entered: number }, n: number): Promise<void> {
  await vi.waitFor(() => expect(hold.entered).toBeGreaterThanOrEqual(n), { timeout: 5_000, interval: 1 });
}

describe('user rankings: reads, writes and the cache', () => {
  it("keeps a read when another user's ratings are written while it runs", async () => {
    const { rankings, reads, hold } = await setup();
    hold.gate = gate();
    const first = rankings.compute(1);
    await entered(hold, 1);
    rankings.noteWrite(2); // someone else's write
    hold.gate.open();
    await first;
    expect(rankings.cached(1)).toBeDefined();
    await rankings.compute(1);
    expect(reads).toEqual([1]);
  });

  it("does not keep a read that the same user's write landed during; the next request reads again", async () => {
    const { rankings, ratings, reads, hold } = await setup();
    const before = await rankings.compute(3);
    const top = before[0] as number;
    rankings.noteWrite(3); // start clean: the next compute reads
    hold.gate = gate();
    const during = rankings.compute(3);
    await entered(hold, 1);
    // The write commits while the read is in flight (the read started before it, so it cannot see it).
    ratings.get(3)?.push({ movieId: top, rating: 2 });
    rankings.noteWrite(3);
    hold.gate.open();
    expect(await during).toContain(top); // asked before the write landed: the old answer is fine
    expect(rankings.cached(3)).toBeUndefined();
    const after = await rankings.compute(3);
    expect(after).not.toContain(top);
    expect(reads).toEqual([3, 3, 3]);
  });

  it('shares one read and one model call among requests for the same user in flight together', async () => {
    const { rankings, reads, served } = await setup();
    const [a, b, c] = await Promise.all([rankings.compute(1), rankings.compute(1), rankings.compute(1)]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(reads).toEqual([1]);
    expect(served.calls).toHaveLength(1);
  });

  it('a write while a ranking is in flight gets a ranking of its own, even at the same clock reading', async () => {
    const { rankings, ratings, served } = await setup();
    served.hold.gate = gate();
    const beforeWrite = rankings.compute(4);
    await entered(served.hold, 1); // ranking user 4's old ratings, held in the model call
    // User 4 liked only 101: popularity's next movie is their top one.
    const top = catalogAndPopularity().popularity.top(1, new Set([101]))[0] as number;
    ratings.get(4)?.push({ movieId: top, rating: 1 });
    rankings.noteWrite(4);
    const afterWrite = rankings.compute(4); // same clock reading as the first read: clock.now never moved
    served.hold.gate.open();
    expect(await beforeWrite).toContain(top);
    expect(await afterWrite).not.toContain(top);
    expect(served.calls).toHaveLength(2);
  });

  it('refreshes a user past half the TTL off the request path, so an often-asked user never meets a miss', async () => {
    const { rankings, ratings, reads, clock } = await setup(1_000);
    const first = await rankings.compute(2);
    const top = first[0] as number;
    clock.now = 400;
    expect(rankings.cached(2)).toBe(first);
    expect(reads).toEqual([2]);
    // Someone else's write, not reported to this process (no feed): only a re-read can find it.
    ratings.get(2)?.push({ movieId: top, rating: 1 });
    clock.now = 600; // past half the TTL: still served at once, and re-read in the background
    expect(rankings.cached(2)).toBe(first);
    await vi.waitFor(() => expect(rankings.cached(2)).not.toContain(top), { timeout: 5_000, interval: 1 });
    expect(reads).toEqual([2, 2]);
    clock.now = 1_050; // past the first read's TTL, not yet half the refreshed one's: a hit, no read
    expect(rankings.cached(2)).toBeDefined();
    expect(reads).toEqual([2, 2]);
  });

  it('forgets everything on a change for everyone, and keeps a ranking whose ratings did not change', async () => {
    const { rankings, reads, served } = await setup();
    await rankings.compute(1);
    await rankings.compute(2);
    rankings.noteChange('all');
    expect(rankings.cached(1)).toBeUndefined();
    expect(rankings.cached(2)).toBeUndefined();
    await rankings.compute(1);
    expect(reads).toEqual([1, 2, 1]);
    // Same ratings on the re-read: no model call for it.
    expect(served.calls).toHaveLength(2);
  });
});
