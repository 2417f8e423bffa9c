/**
 * Column names and in-memory types of the tables the ETL writes (`ratings.parquet`, `movies.parquet`,
 * `users.parquet`). The ETL, the dataset layer, seeding and the notebooks import these names from here.
 */

export const RATINGS_COLUMNS = {
  userId: 'user_id', // int32
  movieId: 'movie_id', // int32
  rating: 'rating', // float32 (absent for implicit-only sources)
  timestamp: 'timestamp', // int64, seconds since the epoch (absent where the source has none)
} as const;

export const MOVIES_COLUMNS = {
  movieId: 'movie_id', // int32
  title: 'title', // utf8
  year: 'year', // int32, nullable (parsed from the title's trailing "(1995)")
  genres: 'genres', // utf8, MovieLens's pipe-joined string, e.g. "Comedy|Drama"
  genreList: 'genre_list', // list<utf8>
} as const;

export const USERS_COLUMNS = {
  userId: 'user_id', // int32
  gender: 'gender', // utf8, nullable ("M" | "F")
  age: 'age', // int32, nullable
  occupation: 'occupation', // utf8, nullable (ml-1m's codes are mapped to the README's names)
  zip: 'zip', // utf8, nullable
} as const;

/** Ratings in columnar form, raw MovieLens ids. Row i is (userId[i], movieId[i], rating[i], timestamp[i]). */
export interface RatingsTable {
  readonly length: number;
  readonly userId: Int32Array;
  readonly movieId: Int32Array;
  /** null for implicit-only sources (e.g. ml-1m interactions.parquet). */
  readonly rating: Float32Array | null;
  /** Seconds since the epoch; null where the source has no timestamps. */
  readonly timestamp: Float64Array | null;
}

export interface MovieRow {
  movieId: number;
  title: string;
  year: number | null;
  /** Genres in MovieLens order; "(no genres listed)" becomes an empty list. */
  genres: string[];
}

export interface UserRow {
  userId: number;
  gender: 'M' | 'F' | null;
  age: number | null;
  occupation: string | null;
  zip: string | null;
}

/** Everything a dataset yields. */
export interface DatasetTables {
  ratings: RatingsTable;
  movies: MovieRow[];
  /** null where the dataset has no user file (ml-latest, ml-20m, ml-25m, ml-10m). */
  users: UserRow[] | null;
}

/** MovieLens's pipe-joined genre string of a movie. */
export function genreString(movie: MovieRow): string {
  return movie.genres.length > 0 ? movie.genres.join('|') : '(no genres listed)';
}
