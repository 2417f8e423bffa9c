/**
 * Lazy ("sparse") Adam for embedding tables, as TF's LazyAdam and PyTorch's SparseAdam: a step updates the
 * first and second moments and the weights of only the rows its batch touched, so its cost follows the batch,
 * not the table. TF.js's optimizers update every element of a variable on every step (a zero gradient still
 * decays the moments and moves the weights), which made a sampled-loss epoch on ml-1m cost ~12M element
 * operations per step in the optimizer alone.
 *
 * A step: the caller gathers the rows it trains (`tf.gatherND(table, rows)`), computes their gradient with
 * repeated indices already summed (the gradient of a lookup into the gathered rows, `lookupRows`), and calls
 * `update`. The moments and weights of those rows are gathered, updated with Adam's rule, and written back
 * with `tf.tensorScatterUpdate` (registered on wasm, cpu, webgl and tfjs-node), the variables reassigned in
 * place. Untouched rows keep their moments unchanged (the difference from dense Adam); the bias corrections
 * follow the global step count, as in TF's LazyAdam.
 */
import { tf, type Tensor } from './tf.js';

/** Adam's settings; the defaults are TF.js's `tf.train.adam` (epsilon: the float32 backend epsilon). */
export interface LazyAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Row-sparse Adam over any number of tables. Call `step()` once per training step, then `update` for each
 * table the step trained.
 * @example
 * const adam = new LazyAdam({ learningRate: 0.01 });
 * adam.step();
 * adam.update(itemTable, uniqueItems, itemRowGradient, itemRows); // uniqueItems: [rows, 1] int32
 */
export class LazyAdam {
  private readonly moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  private steps = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(private readonly options: LazyAdamOptions) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
  }

  /** Steps taken so far. */
  get iterations(): number {
    return this.steps;
  }

  /** Starts a step: the bias corrections advance once per step, whatever tables it updates. */
  step(): void {
    this.steps++;
  }

  /**
   * Applies Adam to rows `indices` of `table`. `indices` is [rows, 1] int32 and must hold each row once (a
   * repeated row would be written twice); `gradient` is [rows, ...table.shape[1:]], the summed gradient of
   * each row. `rows` are the rows' current values if the caller gathered them already (else gathered here).
   */
  update(table: tf.Variable, indices: Tensor, gradient: Tensor, rows?: Tensor): void {
    if (this.steps === 0)
      throw new Error('LazyAdam.update before step(): call step() once per training step');
    const { m, v } = this.state(table);
    const { beta1, beta2, epsilon } = this;
    const t = this.steps;
    // Adam as tf.train.adam writes it: w -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon).
    const stepSize = this.options.learningRate / (1 - beta1 ** t);
    const secondCorrection = 1 / (1 - beta2 ** t);
    tf.tidy(() => {
      const current = rows ?? tf.gatherND(table, indices);
      const m1 = tf.add(tf.mul(tf.gatherND(m, indices), beta1), tf.mul(gradient, 1 - beta1));
      const v1 = tf.add(tf.mul(tf.gatherND(v, indices), beta2), tf.mul(tf.square(gradient), 1 - beta2));
      const delta = tf.div(tf.mul(m1, stepSize), tf.add(tf.sqrt(tf.mul(v1, secondCorrection)), epsilon));
      m.assign(tf.tensorScatterUpdate(m, indices, m1));
      v.assign(tf.tensorScatterUpdate(v, indices, v1));
      table.assign(tf.tensorScatterUpdate(table, indices, tf.sub(current, delta)));
    });
  }

  /** Frees the moments (the tables stay the caller's). */
  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }

  private state(table: tf.Variable): { m: tf.Variable; v: tf.Variable } {
    let state = this.moments.get(table);
    if (!state) {
      // The CPU backend's tensorScatterUpdate writes into its input's buffer, and a tensor made from a typed
      // array keeps that array: give the table a buffer of its own before the first in-place update.
      table.assign(tf.tidy(() => tf.mul(table, 1)));
      state = tf.tidy(() => ({
        m: tf.variable(tf.zerosLike(table), false),
        v: tf.variable(tf.zerosLike(table), false),
      }));
      this.moments.set(table, state);
    }
    return state;
  }
}
