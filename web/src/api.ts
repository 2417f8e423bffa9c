/** The API calls the page makes (docs/api.md); every answer is checked for its status. */

export interface Movie {
  id: number;
  title: string;
  genre: string;
}

/** A model whose current artifact the page may load (`GET /web/models`). */
export interface WebModelEntry {
  kind: string;
  version: string;
  /** The model the API serves (its lists are the cold-start route's). */
  served: boolean;
  /** Bytes the page would download (state and titles). */
  bytes: number;
  /** False when the page does not load it; `reason` says why. */
  offered: boolean;
  reason?: string;
  /** The artifact's training record (history policy). */
  training?: Record<string, unknown> | null;
}

export interface WebModels {
  models: WebModelEntry[];
  /** Largest download the page accepts for one model. */
  maxBytes: number;
}

/** An API answer that was not a success, with the API's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
    const error = (body as { error?: { message?: string } } | null)?.error?.message;
    throw new ApiError(response.status, error ?? `${url}: HTTP ${response.status}`);
  }
  return body as T;
}

const list = (movies: readonly number[]): string => movies.join(',');

export const api = {
  search: (text: string, limit = 8) =>
    request<{ movies: Movie[] }>(`/movies?search=${encodeURIComponent(text)}&limit=${limit}`),
  similar: (id: number, k = 10) => request<{ movies: Movie[] }>(`/movies/${id}/similar?k=${k}`),
  /** Cold start: recommendations for a visitor who liked `movies` (and/or `genres`). */
  coldStart: (options: {
    movies?: readonly number[];
    genres?: readonly string[];
    k: number;
    diversity?: number;
  }) => {
    const query = new URLSearchParams({ k: String(options.k) });
    if (options.movies?.length) query.set('movies', list(options.movies));
    if (options.genres?.length) query.set('genres', options.genres.join(','));
    if (options.diversity) query.set('diversity', String(options.diversity));
    return request<{ movies: Movie[] }>(`/recommendations?${query}`);
  },
  userRecommendations: (userId: number, k: number, diversity: number) =>
    request<{ movies: Movie[] }>(
      `/users/${userId}/recommendations?k=${k}${diversity ? `&diversity=${diversity}` : ''}`,
    ),
  rate: (userId: number, movieId: number, rating: number, token: string) =>
    request<unknown>(`/users/${userId}/ratings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ movieId, rating }),
    }),
  createUser: (token: string) =>
    request<{ id: number }>('/users', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{}',
    }),
  movie: (id: number) => request<Movie>(`/movies/${id}`),
  /** A user's stored ratings, newest first. */
  ratings: (userId: number, limit: number) =>
    request<{ ratings: { movieId: number; rating: number | null }[] }>(
      `/users/${userId}/ratings?limit=${limit}`,
    ),
  genres: () => request<{ genres: { name: string; movies?: number }[] | string[] }>('/genres'),
  webModels: () => request<WebModels>('/web/models'),
};
