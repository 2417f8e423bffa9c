import type { LoadedArtifact } from '../artifacts/load.js';
import { ValidationError } from '../core/errors.js';
import { createCatalog, type Catalog } from '../serving/catalog.js';
import { MAX_K } from '../serving/user-rankings.js';
import { historyPolicyFrom } from '../serving/history.js';
import { createNewMoviePlacement } from '../serving/new-movie-placement.js';
import { createPopularityRanking, type PopularityRanking } from '../serving/popularity.js';
import type { ServableModel } from '../serving/ports.js';
import { createRankBatcher } from '../serving/rank-batcher.js';
import { diversityContext, rankVisitor } from '../serving/visitor.js';
import { diversify, type DiversityContext } from '../models/diversity.js';

/** The serving pieces a CLI command builds from an artifact alone (no database). */
export interface ArtifactServing {
  loaded: ServableModel;
  catalog: Catalog;
  popularity: PopularityRanking;
  context: DiversityContext;
}

/**
 * The artifact as the API serves it, without a database: its movies as the catalogue and the positives of its
 * training matrix per movie as popularity (what the API counts in a database seeded from the same data).
 * @example const serving = artifactServing(loaded);
 */
export function artifactServing(artifact: LoadedArtifact): ArtifactServing {
  const { model, seen, manifest, ref } = artifact;
  const loaded: ServableModel = {
    model,
    kind: ref.kind,
    version: ref.version,
    loadedAt: new Date(),
    seen,
    historyPolicy: historyPolicyFrom(manifest.training),
  };
  const catalog = createCatalog(
    [...(artifact.movies ?? new Map()).entries()].map(([id, m]) => ({
      id,
      title: m.title,
      genre: m.genres,
      year: null,
    })),
  );
  const matrix = model.trainingMatrix ?? seen;
  const counts = new Map<number, number>();
  if (matrix) {
    for (let p = 0; p < (matrix.indptr[matrix.nRows] as number); p++) {
      const id = model.items.toRaw(matrix.indices[p] as number);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  const popularity = createPopularityRanking([...counts].map(([movieId, count]) => ({ movieId, count })));
  const withPopularity = createCatalog(catalog.all(), popularity.countOf);
  return {
    loaded,
    catalog: withPopularity,
    popularity,
    context: diversityContext(withPopularity, popularity),
  };
}

/**
 * `recsys recommend --like 1,260 --genres Comedy [--diversity 0.5] [-k 10]`: the list `GET /recommendations`
 * answers for the same picks (src/serving/cold-start.ts), from the artifact alone.
 * @example const movies = await recommendLike(artifact, { like: [1, 260], genres: ['Comedy'], k: 10, diversity: 0 });
 */
export async function recommendLike(
  artifact: LoadedArtifact,
  request: { like: number[]; genres: string[]; k: number; diversity: number },
): Promise<{ id: number; title: string; genre: string }[]> {
  const serving = artifactServing(artifact);
  const { catalog, popularity } = serving;
  try {
    const { ids, picks } = await rankVisitor(
      serving.loaded,
      { movies: request.like, genres: request.genres },
      {
        catalog,
        popularity,
        depth: MAX_K,
        batcher: createRankBatcher(MAX_K),
        newMovies: createNewMoviePlacement(() => catalog),
      },
    );
    const { k, diversity } = request;
    const shown = diversify({ ranked: ids, k, diversity, context: serving.context, history: picks });
    return shown.flatMap((id) => {
      const movie = catalog.get(id);
      return movie ? [{ id, title: movie.title, genre: movie.genre }] : [];
    });
  } catch (error) {
    // The serving layer names the API's fields; the CLI names its flags.
    if (error instanceof ValidationError && (error.field === 'movies' || error.field === 'genres')) {
      const flag = error.field === 'movies' ? '--like' : '--genres';
      throw new ValidationError(flag, error.message.replace(/^\w+: /, ''));
    }
    throw error;
  }
}

/**
 * A comma-separated list of movie ids (`--like`), or ValidationError naming the flag.
 * @example parseIdList('1,260', '--like') // [1, 260]
 */
export function parseIdList(text: string | undefined, flag: string): number[] {
  if (text === undefined || text === '') return [];
  if (!/^[0-9]{1,10}(,[0-9]{1,10})*$/.test(text)) {
    throw new ValidationError(flag, `must be movie ids separated by commas, e.g. 1,260, got "${text}"`);
  }
  return text.split(',').map(Number);
}
