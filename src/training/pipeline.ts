import type { Logger } from '../core/log.js';
import type { DatasetTables } from '../data/schema.js';
import type { ArtifactManifest, ArtifactRef } from '../artifacts/format.js';
import { promoteArtifact } from '../artifacts/pointer.js';
import { saveArtifact } from '../artifacts/save.js';
import type { ArtifactStore } from '../storage/types.js';
import { trainOnDataset, type TrainedModel, type TrainOnDatasetOptions } from './train.js';

export interface TrainToArtifactOptions extends TrainOnDatasetOptions {
  store: ArtifactStore;
  /** Move the model's `current` pointer to the new version (default true). */
  promote?: boolean;
  logger?: Logger;
}

export interface TrainToArtifactResult {
  ref: ArtifactRef;
  manifest: ArtifactManifest;
  /** The version `current` named before, when promoted. */
  previous: string | null;
  promoted: boolean;
  trained: Omit<TrainedModel, 'model' | 'seen'>;
}

/**
 * The whole training job: train on the dataset (optionally evaluating first), save the artifact with the
 * seen-items matrix and the movie titles, and promote it to `current`. The fitted model is disposed.
 * @example const { ref } = await trainToArtifact({ store, tables, dataset: 'ml-100k', kind: 'popularity' });
 */
export async function trainToArtifact(options: TrainToArtifactOptions): Promise<TrainToArtifactResult> {
  const { model, seen, ...trained } = await trainOnDataset(options);
  try {
    const saved = await saveArtifact(options.store, model, {
      dataset: {
        name: trained.dataset.name,
        hash: trained.dataset.hash,
        interactions: trained.dataset.interactions,
      },
      split: trained.evaluation?.split ?? null,
      metrics: trained.metrics,
      training: trainingFigures(trained),
      seen,
      movies: (options.tables as DatasetTables).movies,
    });
    const { manifest, ...ref } = saved;
    options.logger?.info('artifact saved', { model: ref.kind, version: ref.version, location: ref.location });
    let previous: string | null = null;
    const promote = options.promote ?? true;
    if (promote) {
      previous = (await promoteArtifact(options.store, ref.kind, ref.version)).previous;
      options.logger?.info('artifact promoted', { model: ref.kind, version: ref.version, previous });
    }
    return { ref, manifest, previous, promoted: promote, trained };
  } finally {
    model.dispose();
  }
}

function trainingFigures(trained: Omit<TrainedModel, 'model' | 'seen'>): Record<string, number | string> {
  const last = trained.epochs[trained.epochs.length - 1];
  // `threshold` and `weighting` tell the serving layer how to turn a user's new ratings into a history.
  return {
    threshold: trained.values.threshold,
    weighting: trained.values.weighting,
    fit_seconds: Number(trained.fitSeconds.toFixed(3)),
    iterations: trained.epochs.length,
    positives: trained.dataset.positives,
    ...(last?.loss !== undefined ? { final_loss: last.loss } : {}),
  };
}
