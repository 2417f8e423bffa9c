/**
 * Ranking in the page (issue 15.5): the current artifacts read with TF.js (`tf.io.loadWeights` over the
 * state files the API serves from its artifact store), rebuilt by our own model registry (the same
 * `fromState` and `recommendForHistories` the server runs, bundled for the browser), and the visitor's picks
 * folded in here. Nothing about the picks is sent to the server.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WEIGHT_PREFIX } from '../../src/artifacts/format.js';
import { decodeMovies } from '../../src/artifacts/movies.js';
import { topKRow } from '../../src/core/types.js';
import { encoderFromSortedUnique } from '../../src/dataset/encoder.js';
import { diversify } from '../../src/models/diversity.js';
import { getModelFactory } from '../../src/models/registry.js';
import type { ModelState, Recommender } from '../../src/models/types.js';
import { genreNames } from '../../src/serving/catalog.js';
import { picksHistory, rankPicks } from '../../src/serving/cold-start.js';
import { historyPolicyFrom, prepareHistory } from '../../src/serving/history.js';
import { createPopularityRanking, type PopularityRanking } from '../../src/serving/popularity.js';
import type { HistoryPolicy } from '../../src/serving/ports.js';
import { MAX_K } from '../../src/serving/user-rankings.js';
import type { Movie, WebModelEntry } from './api.js';

/** A model rebuilt in the page, with what ranking needs beside it. */
export interface BrowserModel {
  kind: string;
  version: string;
  model: Recommender;
  policy: HistoryPolicy;
  /** Positives per movie in the model's training matrix: the top-up and the diversity control's popularity. */
  popularity: PopularityRanking;
  genres: Map<number, string[]>;
  /** Titles and genres from the artifact's movies.json. */
  movies: Map<number, Movie>;
  loadSeconds: number;
}

type Decoded = { data: Float32Array | Int32Array; shape: number[] };

/**
 * Loads a model's current artifact from `/web/artifacts/<kind>/<version>/`: state.json, its shards and
 * movies.json (model.json is not needed: the state rebuilds the model).
 * @example const loaded = await loadBrowserModel(entry);
 */
export async function loadBrowserModel(entry: WebModelEntry): Promise<BrowserModel> {
  const started = performance.now();
  const base = `/web/artifacts/${entry.kind}/${entry.version}`;
  const [state, movies] = await Promise.all([
    fetchJson<{ modelTopology: Partial<ModelState>; weightsManifest: tf.io.WeightsManifestConfig }>(
      `${base}/state.json`,
    ),
    fetch(`${base}/movies.json`).then(async (response) => {
      if (!response.ok) throw new Error(`${base}/movies.json: HTTP ${response.status}`);
      return decodeMovies(new Uint8Array(await response.arrayBuffer()), `${base}/movies.json`);
    }),
  ]);
  const tensors = await tf.io.loadWeights(state.weightsManifest, base);
  const arrays = new Map<string, Decoded>();
  for (const [name, t] of Object.entries(tensors)) {
    arrays.set(name, { data: (t.dataSync() as Float32Array | Int32Array).slice(), shape: [...t.shape] });
    t.dispose();
  }
  const ids = (name: string): Int32Array => {
    const data = arrays.get(name)?.data;
    if (!(data instanceof Int32Array)) throw new Error(`${base}/state.json: int32 weight ${name} is missing`);
    return data;
  };
  const topology = state.modelTopology;
  const modelState: ModelState = {
    kind: entry.kind as ModelState['kind'],
    formatVersion: topology.formatVersion ?? 0,
    hyperparameters: topology.hyperparameters ?? {},
    arrays: {},
    ...(topology.info !== undefined ? { info: topology.info } : {}),
  };
  for (const [name, array] of arrays) {
    if (name.startsWith(WEIGHT_PREFIX.model))
      modelState.arrays[name.slice(WEIGHT_PREFIX.model.length)] = array;
  }
  const model = getModelFactory(entry.kind).fromState(modelState, {
    users: encoderFromSortedUnique(ids(WEIGHT_PREFIX.userIds)),
    items: encoderFromSortedUnique(ids(WEIGHT_PREFIX.itemIds)),
  });
  return {
    kind: entry.kind,
    version: entry.version,
    model,
    policy: historyPolicyFrom(entry.training),
    popularity: popularityOf(model),
    genres: new Map([...movies].map(([id, movie]) => [id, genreNames(movie.genres)])),
    movies: new Map([...movies].map(([id, movie]) => [id, { id, title: movie.title, genre: movie.genres }])),
    loadSeconds: (performance.now() - started) / 1000,
  };
}

/** Movies by positives in the training matrix, as the server's ranking counts them from the database. */
function popularityOf(model: Recommender): PopularityRanking {
  const matrix = model.trainingMatrix ?? null;
  if (!matrix) return createPopularityRanking([]);
  const counts = new Int32Array(matrix.nCols);
  for (const item of matrix.indices) counts[item] = (counts[item] as number) + 1;
  return createPopularityRanking(
    Array.from(counts, (count, item) => ({ movieId: model.items.toRaw(item), count })).filter(
      (c) => c.count > 0,
    ),
  );
}

/**
 * The page's picks ranked as the cold-start route ranks them (`GET /recommendations?movies=...`, through the
 * server's own src/serving/cold-start.ts): each pick a 5-star rating of a new user, passed through the
 * artifact's history policy and folded in by the model MAX_K deep, picks left out, topped up with popularity,
 * then the diversity control; `k` movies, raw ids.
 * @example const ids = await rankInPage(loaded, [1, 260], 10, 0);
 */
export async function rankInPage(
  loaded: BrowserModel,
  picks: readonly number[],
  k: number,
  diversity: number,
): Promise<number[]> {
  const { model, policy, popularity } = loaded;
  const unique = [...new Set(picks)];
  const history = prepareHistory(picksHistory(unique), model.items, policy);
  let foldIn: number[] = [];
  if (history.positives) {
    const top = await model.recommendForHistories([history.positives], MAX_K);
    foldIn = topKRow(top, 0).ids.map((item) => model.items.toRaw(item));
  }
  const catalog = {
    has: (id: number) => loaded.movies.has(id),
    genresOf: (id: number) => loaded.genres.get(id) ?? [],
  };
  const ranked = rankPicks({ foldIn, picks: unique, genres: [], depth: MAX_K, popularity, catalog });
  const context = { popularity: (id: number) => popularity.countOf(id), genres: catalog.genresOf };
  return diversify({ ranked, k, diversity, context, history: unique });
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}
