/**
 * Hyperparameters of the neural embedding model: the zod schema (strict, every field defaulted, CLI strings
 * coerced). Defaults were chosen on the validation slices of ml-100k, ml-latest-small and the ml-1m
 * interactions (docs/benchmarks.md, "Neural").
 */
import { z } from 'zod';

/**
 * - `mf`: user and item embeddings plus an item bias, scored by their dot product (matrix factorization).
 * - `neumf`: the seed's NeuralMF: a GMF branch (elementwise product of embeddings) beside an MLP head over
 *   concatenated embeddings (one hidden layer with dropout), joined by a final dense unit.
 */
export const NEURAL_ARCHITECTURES = ['mf', 'neumf'] as const;

/**
 * - `softmax`: multinomial likelihood of each user's positives over the whole catalogue (Liang et al.'s
 *   Mult-VAE likelihood on a factorization): one batch is a set of users, every item is a negative.
 * - `bce`: binary cross-entropy, each positive against `negatives` sampled items (the seed's NeuralMF).
 * - `bpr`: Bayesian personalized ranking, each positive against `negatives` sampled items.
 */
export const NEURAL_LOSSES = ['softmax', 'bce', 'bpr'] as const;

export const neuralSchema = z
  .object({
    architecture: z.enum(NEURAL_ARCHITECTURES).default('mf'),
    loss: z.enum(NEURAL_LOSSES).default('softmax'),
    /** Embedding size (the seed's NeuralMF: 64; 128 measured better here, docs/benchmarks.md). */
    factors: z.coerce.number().int().min(1).max(1024).default(128),
    /** Units of the MLP head's hidden layer (neumf; the seed: 128). */
    hidden: z.coerce.number().int().min(1).max(4096).default(128),
    /** Dropout after the hidden layer while training (neumf; the seed: 0.1). */
    dropout: z.coerce.number().min(0).max(0.9).default(0.1),
    /** Sampled negatives per positive (bce, bpr; the seed: 4). */
    negatives: z.coerce.number().int().min(1).max(100).default(4),
    /** How negatives are drawn: uniformly, or in proportion to count^0.75 (word2vec's unigram table). */
    sampling: z.enum(['uniform', 'popularity']).default('uniform'),
    epochs: z.coerce.number().int().min(1).max(10_000).default(60),
    /** Examples per step: positives (bce, bpr) or users (softmax). */
    batchSize: z.coerce.number().int().min(1).max(65_536).default(64),
    learningRate: z.coerce.number().positive().max(10).default(0.01),
    /**
     * L2 penalty on the embeddings of each batch (per example). The default suits the softmax loss (chosen on
     * ml-1m, docs/benchmarks.md); with bce or bpr, whose per-example losses are far smaller, use ~0.0001.
     */
    l2: z.coerce.number().min(0).default(0.03),
    /** Epochs without a better validation score before training stops (with a validation slice). */
    patience: z.coerce.number().int().min(1).max(1000).default(4),
    seed: z.coerce.number().int().default(42),
  })
  .strict();

export type NeuralHyperparameters = z.output<typeof neuralSchema>;
