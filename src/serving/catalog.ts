/** A movie as the service returns it. */
export interface CatalogMovie {
  id: number;
  title: string;
  /** MovieLens's pipe-joined genre string, e.g. "Comedy|Drama". */
  genre: string;
  year: number | null;
}

/**
 * The genre names of a movie's genre string (`"Comedy|Drama"` -> `['Comedy', 'Drama']`; `''` -> `[]`).
 * @example genreNames('Comedy|Drama') // ['Comedy', 'Drama']
 */
export function genreNames(genre: string): string[] {
  return genre === '' ? [] : genre.split('|');
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
  /**
   * Up to `limit` movies whose title contains `text` (case-insensitive) and, when `genre` is given, that have
   * that genre; most rated first, then by id.
   */
  search(text: string, limit: number, genre?: string): CatalogMovie[];
  /** The genre names of a movie (empty for an unknown one). */
  genresOf(id: number): readonly string[];
  /** Every genre of the catalogue with how many movies have it, by name. */
  genreCounts(): ReadonlyMap<string, number>;
  /** Every movie, by id. */
  all(): readonly CatalogMovie[];
}

export function createCatalog(
  movies: Iterable<CatalogMovie>,
  popularityOf: (id: number) => number = () => 0,
): Catalog {
  const byId = new Map<number, CatalogMovie>();
  for (const movie of movies) byId.set(movie.id, movie);
  // Lower-cased titles and split genres once, in id order, so a search is one linear scan.
  const entries = [...byId.values()]
    .sort((a, b) => a.id - b.id)
    .map((movie) => ({ movie, key: movie.title.toLowerCase(), genres: genreNames(movie.genre) }));
  const genresById = new Map(entries.map((entry) => [entry.movie.id, entry.genres]));
  const counts = new Map<string, number>();
  for (const entry of entries) for (const g of entry.genres) counts.set(g, (counts.get(g) ?? 0) + 1);
  const genreCounts = new Map([...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  const all = entries.map((entry) => entry.movie);
  return {
    size: byId.size,
    get: (id) => byId.get(id),
    has: (id) => byId.has(id),
    search(text, limit, genre) {
      const needle = text.trim().toLowerCase();
      const hits = entries.filter(
        (entry) =>
          (needle === '' || entry.key.includes(needle)) &&
          (genre === undefined || entry.genres.includes(genre)),
      );
      return hits
        .map((entry) => entry.movie)
        .sort((a, b) => popularityOf(b.id) - popularityOf(a.id) || a.id - b.id)
        .slice(0, limit);
    },
    genresOf: (id) => genresById.get(id) ?? [],
    genreCounts: () => genreCounts,
    all: () => all,
  };
}
