/** Rows as the repositories hand them to serving/ and api/ (raw MovieLens ids, plain objects). */

export interface MovieRecord {
  id: number;
  title: string;
  year: number | null;
  /** MovieLens's pipe-joined genre string, e.g. "Comedy|Drama". */
  genres: string;
}

export interface UserRecord {
  id: number;
  gender: string | null;
  age: number | null;
  occupation: string | null;
  zip: string | null;
}

export interface RatingRecord {
  userId: number;
  movieId: number;
  /** null for implicit-only data (ml-1m's interactions file). */
  rating: number | null;
  /** null where the source had no timestamp. */
  ratedAt: Date | null;
}
