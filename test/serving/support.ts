import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import { popularityFactory } from '../../src/models/popularity.js';
import { createCatalog, type Catalog } from '../../src/serving/catalog.js';
import { DEFAULT_HISTORY_POLICY } from '../../src/serving/history.js';
import { createPopularityRanking, type PopularityRanking } from '../../src/serving/popularity.js';
import type { RatingValue, ServableModel, ServingData } from '../../src/serving/ports.js';

/**
 * A small real world for the serving units: 4 users (raw ids 1..4) and 30 movies (raw ids 101..130), a real
 * popularity model fit on the users' positives, and the users' current ratings in memory standing in for the
 * database (the one outside system these units talk to).
 */
export const MOVIE_IDS = Array.from({ length: 30 }, (_, i) => 101 + i);

/** Training ratings: everyone liked 101, so it tops popularity; then 102, 103... by how many liked them. */
export const TRAINING: Record<number, RatingValue[]> = {
  1: [
    { movieId: 101, rating: 5 },
    { movieId: 102, rating: 4 },
  ],
  2: [
    { movieId: 101, rating: 5 },
    { movieId: 103, rating: 4 },
  ],
  3: [
    { movieId: 101, rating: 4 },
    { movieId: 102, rating: 5 },
  ],
  4: [{ movieId: 101, rating: 5 }],
};

/** A gate a test opens when it chooses: `wait()` resolves once `open()` is called. */
export interface Gate {
  wait(): Promise<void>;
  open(): void;
  readonly isOpen: boolean;
}

export function gate(): Gate {
  let open: () => void = () => undefined;
  let isOpen = false;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    wait: () => opened,
    open: () => {
      isOpen = true;
      open();
    },
    get isOpen() {
      return isOpen;
    },
  };
}

/**
 * The popularity model fit on TRAINING, as the serving layer holds a loaded artifact. Every model call is
 * recorded (which method, how many users) and waits on `hold` when one is set, so a test can keep a ranking
 * in flight; the calls themselves are the real model's.
 */
export async function servablePopularity(version: string): Promise<{
  loaded: ServableModel;
  calls: { method: 'recommend' | 'recommendForHistories'; size: number }[];
  hold: { gate?: Gate; entered: number };
}> {
  const users = createIdEncoder([1, 2, 3, 4]);
  const items = createIdEncoder(MOVIE_IDS);
  const rows: number[] = [];
  const cols: number[] = [];
  for (const [user, ratings] of Object.entries(TRAINING)) {
    for (const { movieId } of ratings) {
      rows.push(users.toDense(Number(user)));
      cols.push(items.toDense(movieId));
    }
  }
  const userItems = buildCsr(4, MOVIE_IDS.length, Int32Array.from(rows), Int32Array.from(cols));
  const model = popularityFactory.create();
  await model.fit({ users, items, userItems });
  const calls: { method: 'recommend' | 'recommendForHistories'; size: number }[] = [];
  const hold: { gate?: Gate; entered: number } = { entered: 0 };
  const recommend = model.recommend.bind(model);
  const recommendForHistories = model.recommendForHistories.bind(model);
  model.recommend = async (ids, k, options) => {
    calls.push({ method: 'recommend', size: ids.length });
    hold.entered++;
    await hold.gate?.wait();
    return recommend(ids, k, options);
  };
  model.recommendForHistories = async (histories, k, options) => {
    calls.push({ method: 'recommendForHistories', size: histories.length });
    hold.entered++;
    await hold.gate?.wait();
    return recommendForHistories(histories, k, options);
  };
  return {
    loaded: {
      model,
      kind: 'popularity',
      version,
      loadedAt: new Date(),
      seen: userItems,
      historyPolicy: DEFAULT_HISTORY_POLICY,
    },
    calls,
    hold,
  };
}

/** The catalog and popularity ranking the service would build from the database. */
export function catalogAndPopularity(): { catalog: Catalog; popularity: PopularityRanking } {
  const counts = new Map<number, number>();
  for (const ratings of Object.values(TRAINING)) {
    for (const { movieId, rating } of ratings) {
      if ((rating ?? 0) >= 4) counts.set(movieId, (counts.get(movieId) ?? 0) + 1);
    }
  }
  const popularity = createPopularityRanking([...counts].map(([movieId, count]) => ({ movieId, count })));
  const catalog = createCatalog(
    MOVIE_IDS.map((id) => ({ id, title: `Movie ${id}`, genre: 'Drama', year: 2000 })),
    popularity.countOf,
  );
  return { catalog, popularity };
}

/**
 * Users' ratings in memory behind the ServingData port. A read copies the ratings when it starts (as a query
 * sees the rows committed when it began) and, while `readGate` is set, answers only once the gate opens.
 */
export function ratingsInMemory(): {
  data: ServingData;
  ratings: Map<number, RatingValue[]>;
  reads: number[];
  hold: { gate?: Gate; entered: number };
} {
  const ratings = new Map<number, RatingValue[]>(
    Object.entries(TRAINING).map(([user, list]) => [Number(user), list.map((r) => ({ ...r }))]),
  );
  const reads: number[] = [];
  const hold: { gate?: Gate; entered: number } = { entered: 0 };
  const unused = (): never => {
    throw new Error('not used by these tests');
  };
  const data: ServingData = {
    movies: unused,
    positiveCounts: unused,
    userExists: async (userId) => ratings.has(userId),
    historyOf: async (userId) => {
      reads.push(userId);
      const snapshot = ratings.get(userId)?.map((r) => ({ ...r })) ?? null;
      hold.entered++;
      await hold.gate?.wait();
      return snapshot;
    },
    ratingsOf: unused,
    rate: unused,
    createUser: unused,
    createMovie: unused,
    ping: async () => undefined,
  };
  return { data, ratings, reads, hold };
}
