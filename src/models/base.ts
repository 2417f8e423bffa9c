/**
 * What every model shares, after benfred/implicit's `RecommenderBase`: the fitted-state guard (a typed
 * NotFittedError instead of a plain Error), the encoder getters, freezing the hyperparameters, and one place
 * that frees a model's tensors. `defineModel` builds the registry's factory from a model's zod schema, so
 * parsing, defaults and `fromState`'s header and hyperparameter checks are written once.
 */
import type { z } from 'zod';
import { ArtifactIntegrityError, NotFittedError } from '../core/errors.js';
import type { ModelKind, TopK } from '../core/types.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import { parseHyperparameterInput } from './hyperparameters.js';
import { checkStateHeader } from './state.js';
import type {
  FitOptions,
  FitReport,
  HyperparameterValues,
  ModelFactory,
  ModelState,
  RecommendOptions,
  Recommender,
  ScoringModel,
  TrainingMatrix,
  UserHistory,
} from './types.js';

/** The part of a fitted model the base reads: the encoders of the data it was fit on. */
export interface FittedCore {
  users: IdEncoder;
  items: IdEncoder;
}

/**
 * Base class of every model: subclasses keep what fitting produced in one `F` object, set with `setFitted`
 * and read with `need()`, and free their tensors in `release`.
 * @example class MyModel extends RecommenderBase<MyHyperparameters, MyFitted> { readonly kind = 'mine'; ... }
 */
export abstract class RecommenderBase<
  H extends HyperparameterValues,
  F extends FittedCore,
> implements Recommender {
  abstract readonly kind: ModelKind;
  readonly hyperparameters: Readonly<H>;
  private fittedState: F | undefined;

  constructor(hyperparameters: H) {
    this.hyperparameters = Object.freeze({ ...hyperparameters });
  }

  /** True once fit (or a load) has given the model its weights, until dispose(). */
  get isFitted(): boolean {
    return this.fittedState !== undefined;
  }

  get users(): IdEncoder {
    return this.need('users').users;
  }

  get items(): IdEncoder {
    return this.need('items').items;
  }

  /** The matrix the model was fit on, where its fitted state keeps one as `userItems` (every model here does). */
  get trainingMatrix(): CsrMatrix | null {
    return (this.need('trainingMatrix') as F & { userItems?: CsrMatrix }).userItems ?? null;
  }

  abstract fit(train: TrainingMatrix, options?: FitOptions): Promise<FitReport>;
  abstract recommend(users: Int32Array, k: number, options?: RecommendOptions): Promise<TopK>;
  abstract recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options?: { exclude?: CsrMatrix },
  ): Promise<TopK>;
  abstract similarItems(items: Int32Array, k: number): Promise<TopK>;
  abstract getState(): ModelState;
  abstract scoringModel(): ScoringModel;

  /** Frees the tensors of the fitted state; the model must be fitted or loaded again before use. */
  dispose(): void {
    const fitted = this.fittedState;
    this.fittedState = undefined;
    if (fitted) this.release(fitted);
  }

  /** The fitted state, or NotFittedError naming the model and what was asked of it. */
  protected need(method = 'this call'): F {
    if (!this.fittedState) throw new NotFittedError(this.kind, method);
    return this.fittedState;
  }

  /** Replaces the fitted state, freeing the previous one's tensors. */
  protected setFitted(fitted: F): void {
    this.dispose();
    this.fittedState = fitted;
  }

  /** Frees what `fitted` holds outside the JS heap (tensors); nothing by default. */
  protected release(fitted: F): void {
    void fitted;
  }
}

/** A model's own description, from which `defineModel` builds its registry factory. */
export interface ModelDefinition<S extends z.AnyZodObject, M extends Recommender> {
  kind: ModelKind;
  description: string;
  /** Strict zod object, every field with a default; strings (CLI flags) coerced. */
  schema: S;
  /** The model's state format version (ModelState.formatVersion); states of other versions are refused. */
  formatVersion: number;
  create(hyperparameters: z.output<S>): M;
  /**
   * Rebuilds a fitted model from a state whose kind, version and hyperparameters are already checked.
   * Throws ArtifactIntegrityError for arrays that do not fit.
   */
  restore(
    hyperparameters: z.output<S>,
    state: ModelState,
    encoders: { users: IdEncoder; items: IdEncoder },
  ): M;
}

/**
 * The registry's factory for a model: parsing with field-named errors, defaults from the schema, and
 * `fromState` that refuses another kind, another format version or hyperparameters that no longer parse,
 * all as ArtifactIntegrityError.
 * @example export const popularityFactory = defineModel({ kind: 'popularity', schema, formatVersion: 1, ... });
 */
export function defineModel<S extends z.AnyZodObject, M extends Recommender>(
  definition: ModelDefinition<S, M>,
): ModelFactory<z.output<S>> & { create(hyperparameters?: Partial<z.output<S>>): M } {
  const { kind, schema, formatVersion } = definition;
  const parse = (input: Record<string, unknown>): z.output<S> =>
    parseHyperparameterInput(kind, schema, input);
  return {
    kind,
    description: definition.description,
    schema,
    defaults: schema.parse({}) as z.output<S>,
    parseHyperparameters: parse,
    create: (hyperparameters = {}) => definition.create(parse(hyperparameters)),
    fromState: (state, encoders) => {
      checkStateHeader(state, kind, formatVersion);
      let hyperparameters: z.output<S>;
      try {
        hyperparameters = parse(state.hyperparameters);
      } catch (error) {
        throw new ArtifactIntegrityError(`${kind} state`, (error as Error).message);
      }
      return definition.restore(hyperparameters, state, encoders);
    },
  };
}
