import { NotFoundError } from '../core/errors.js';
import { DATASET_NAMES, type DatasetName } from '../core/types.js';

/**
 * The MovieLens releases the project knows: where GroupLens publishes each archive, how big it is, the MD5
 * GroupLens publishes beside it (`<name>.zip.md5`), the folder the zip unpacks to, its file format and its
 * files. Checksums were taken from copies of the GroupLens `.md5` sidecars quoted in public code (several
 * independent repositories agree on each); where none could be found the entry says so and the downloader
 * fetches the live sidecar instead.
 */

/** Source file layouts: ml-100k's own (`u.data`, `u.item`, `u.user`), `::`-separated `.dat`, and CSV. */
export type SourceFormat = 'ml-100k' | 'dat' | 'csv';

/** How ratings are scaled: whole stars 1..5 (ml-100k, ml-1m) or half stars 0.5..5 (the rest). */
export interface RatingScale {
  min: number;
  max: number;
  step: number;
}

export const WHOLE_STARS: RatingScale = { min: 1, max: 5, step: 1 };
export const HALF_STARS: RatingScale = { min: 0.5, max: 5, step: 0.5 };

/** Text encodings of source files; 'auto' decodes valid UTF-8 as UTF-8 and anything else as latin-1. */
export type TextEncoding = 'latin1' | 'utf8' | 'auto';

export interface DatasetFiles {
  ratings: string;
  movies: string;
  /** null where the release has no user file. */
  users: string | null;
  /** ml-100k only: the genre names its `u.item` flag columns refer to. */
  genres: string | null;
  /** Encoding of the movies file (titles). */
  moviesEncoding: TextEncoding;
}

export interface CatalogEntry {
  name: DatasetName;
  url: string;
  /** Archive size in bytes where a published figure was found, else null (see `sizeNote`). */
  sizeBytes: number | null;
  /** Human-readable size, always present (approximate where `sizeBytes` is null). */
  sizeNote: string;
  /** The MD5 GroupLens publishes in `<url>.md5`, or null where none could be pinned (see `checksumNote`). */
  md5: string | null;
  checksumNote: string;
  /** Folder the archive unpacks to (ml-10m's zip unpacks to `ml-10M100K`). */
  folder: string;
  format: SourceFormat;
  ratingScale: RatingScale;
  files: DatasetFiles;
  description: string;
}

const BASE_URL = 'https://files.grouplens.org/datasets/movielens/';

const ML100K_FILES: DatasetFiles = {
  ratings: 'u.data',
  movies: 'u.item',
  users: 'u.user',
  genres: 'u.genre',
  moviesEncoding: 'latin1',
};
const csvFiles: DatasetFiles = {
  ratings: 'ratings.csv',
  movies: 'movies.csv',
  users: null,
  genres: null,
  moviesEncoding: 'utf8',
};
const PUBLISHED = 'MD5 from the GroupLens sidecar <name>.zip.md5';

/** Every release of DATASET_NAMES, keyed by name. */
export const CATALOG: Readonly<Record<DatasetName, CatalogEntry>> = {
  'ml-100k': {
    name: 'ml-100k',
    url: `${BASE_URL}ml-100k.zip`,
    sizeBytes: 4_924_029,
    sizeNote: '4.9 MB',
    md5: '0e33842e24a9c977be4e0107933c0723',
    checksumNote: PUBLISHED,
    folder: 'ml-100k',
    format: 'ml-100k',
    ratingScale: WHOLE_STARS,
    files: ML100K_FILES,
    description: '100,000 ratings (1-5) from 943 users on 1,682 movies, with demographics (1998)',
  },
  'ml-1m': {
    name: 'ml-1m',
    url: `${BASE_URL}ml-1m.zip`,
    sizeBytes: null,
    sizeNote: 'about 5.9 MB (exact size not found in published material)',
    md5: 'c4d9eecfca2ab87c1945afe126590906',
    checksumNote: PUBLISHED,
    folder: 'ml-1m',
    format: 'dat',
    ratingScale: WHOLE_STARS,
    files: {
      ratings: 'ratings.dat',
      movies: 'movies.dat',
      users: 'users.dat',
      genres: null,
      moviesEncoding: 'latin1',
    },
    description:
      '1,000,209 ratings (1-5) from 6,040 users on 3,706 of 3,883 movies, with demographics (2003)',
  },
  'ml-10m': {
    name: 'ml-10m',
    url: `${BASE_URL}ml-10m.zip`,
    sizeBytes: 65_566_137,
    sizeNote: '63 MB',
    md5: 'ce571fd55effeba0271552578f2648bd',
    checksumNote: PUBLISHED,
    folder: 'ml-10M100K',
    format: 'dat',
    ratingScale: HALF_STARS,
    files: {
      ratings: 'ratings.dat',
      movies: 'movies.dat',
      users: null,
      genres: null,
      moviesEncoding: 'auto',
    },
    description: '10,000,054 half-star ratings from 71,567 users on 10,681 movies, no demographics (2009)',
  },
  'ml-latest-small': {
    name: 'ml-latest-small',
    url: `${BASE_URL}ml-latest-small.zip`,
    sizeBytes: null,
    sizeNote: 'about 1 MB (changes between releases)',
    md5: null,
    checksumNote:
      'not pinned: "latest" is re-released over time; the downloader verifies against the live <url>.md5 sidecar',
    folder: 'ml-latest-small',
    format: 'csv',
    ratingScale: HALF_STARS,
    files: csvFiles,
    description: 'about 100,000 half-star ratings from 610 users on 9,742 movies (2018 release); changes',
  },
  'ml-latest': {
    name: 'ml-latest',
    url: `${BASE_URL}ml-latest.zip`,
    sizeBytes: null,
    sizeNote: 'about 335 MB (changes between releases)',
    md5: null,
    checksumNote:
      'not pinned: "latest" is re-released over time; the downloader verifies against the live <url>.md5 sidecar',
    folder: 'ml-latest',
    format: 'csv',
    ratingScale: HALF_STARS,
    files: csvFiles,
    description: 'the full current MovieLens dataset (over 30M ratings); changes',
  },
  'ml-20m': {
    name: 'ml-20m',
    url: `${BASE_URL}ml-20m.zip`,
    sizeBytes: 198_702_078,
    sizeNote: '190 MB',
    md5: 'cd245b17a1ae2cc31bb14903e1204af3',
    checksumNote: PUBLISHED,
    folder: 'ml-20m',
    format: 'csv',
    ratingScale: HALF_STARS,
    files: csvFiles,
    description: '20,000,263 half-star ratings from 138,493 users on 27,278 movies (2015)',
  },
  'ml-25m': {
    name: 'ml-25m',
    url: `${BASE_URL}ml-25m.zip`,
    sizeBytes: 261_978_986,
    sizeNote: '250 MB',
    md5: '6b51fb2759a8657d3bfcbfc42b592ada',
    checksumNote: PUBLISHED,
    folder: 'ml-25m',
    format: 'csv',
    ratingScale: HALF_STARS,
    files: csvFiles,
    description: '25,000,095 half-star ratings from 162,541 users on 62,423 movies (2019)',
  },
};

/**
 * The catalog entry of a dataset name; NotFoundError for a name the catalog does not know.
 * @example catalogEntry('ml-10m').folder // 'ml-10M100K'
 */
export function catalogEntry(name: string): CatalogEntry {
  if (!isDatasetName(name))
    throw new NotFoundError('dataset', `${name} (known: ${DATASET_NAMES.join(', ')})`);
  return CATALOG[name];
}

/**
 * Whether a string is one of DATASET_NAMES.
 * @example isDatasetName('ml-1m') // true
 */
export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/**
 * The archive URL of a dataset under another base (a mirror, or a test server).
 * @example archiveUrl(CATALOG['ml-1m'], 'http://127.0.0.1:8080/') // 'http://127.0.0.1:8080/ml-1m.zip'
 */
export function archiveUrl(entry: CatalogEntry, baseUrl?: string): string {
  if (baseUrl === undefined) return entry.url;
  return new URL(`${entry.name}.zip`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
}
