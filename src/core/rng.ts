/**
 * Seeded pseudo-random numbers. Every random choice in the project takes one of these (never Math.random),
 * so the same seed gives the same split, the same synthetic data and the same initial factors.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal deviate (Box-Muller). */
  normal(): number;
  /** A new generator whose stream is independent of this one, derived deterministically. */
  fork(salt: number): Rng;
}

/**
 * Mulberry32 with a splitmix32-scrambled seed: small, fast, and good enough for sampling and shuffling
 * (not for cryptography).
 * @example const rng = createRng(42); rng.int(10);
 */
export function createRng(seed: number): Rng {
  let state = splitmix32(seed >>> 0);
  let spare: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: (salt) => createRng(splitmix32((seed ^ Math.imul(salt + 1, 0x9e3779b9)) >>> 0)),
  };
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * In-place Fisher-Yates shuffle of a typed or plain array.
 * @example shuffleInPlace(indices, createRng(7));
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = array[i] as number;
    array[i] = array[j] as number;
    array[j] = tmp;
  }
  return array;
}
