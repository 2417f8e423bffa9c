/** A movie as the service returns it. */
export interface CatalogMovie {
  id: number;
  title: string;
  /** MovieLens's pipe-joined genre string, e.g. "Comedy|Drama". */
  genre: string;
  year: number | null;
}

/**
 * The movie catalog held in memory (a few thousand to ~60k rows), so answers never wait on the database for
 * titles. Search is a case-insensitive substring match on titles, most popular first.
 * @example const catalog = createCatalog(rows, popularity.countOf); catalog.get(1)?.title; catalog.search('toy', 5);
 */
export interface Catalog {
  readonly size: number;
  get(id: number): CatalogMovie | undefined;
  has(id: number): boolean;
  /** Up to `limit` movies whose title contains `text` (case-insensitive), most rated first, then by id. */
  search(text: string, limit: number): CatalogMovie[];
}

export function createCatalog(
  movies: Iterable<CatalogMovie>,
  popularityOf: (id: number) => number = () => 0,
): Catalog {
  const byId = new Map<number, CatalogMovie>();
  for (const movie of movies) byId.set(movie.id, movie);
  // Lower-cased titles once, in id order, so a search is one linear scan without allocation per row.
  const entries = [...byId.values()]
    .sort((a, b) => a.id - b.id)
    .map((movie) => ({ movie, key: movie.title.toLowerCase() }));
  return {
    size: byId.size,
    get: (id) => byId.get(id),
    has: (id) => byId.has(id),
    search(text, limit) {
      const needle = text.trim().toLowerCase();
      const hits = entries.filter((entry) => needle === '' || entry.key.includes(needle));
      return hits
        .map((entry) => entry.movie)
        .sort((a, b) => popularityOf(b.id) - popularityOf(a.id) || a.id - b.id)
        .slice(0, limit);
    },
  };
}
