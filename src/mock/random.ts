import type { ServiceTimeConfig } from './config.js';

/** mulberry32: small, fast, good enough for timing noise; the same seed gives the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller (one value per call; the twin is dropped for simplicity). */
export function gaussian(rand: () => number): number {
  const u = 1 - rand(); // (0, 1]: log(0) never happens
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A sampler of service times in ms for the configured distribution. */
export function serviceTimeSampler(st: ServiceTimeConfig, rand: () => number): () => number {
  switch (st.type) {
    case 'fixed': {
      const ms = st.ms;
      return () => ms;
    }
    case 'uniform': {
      const { minMs, maxMs } = st;
      return () => minMs + (maxMs - minMs) * rand();
    }
    case 'lognormal': {
      const { medianMs, sigma } = st;
      return () => medianMs * Math.exp(sigma * gaussian(rand));
    }
  }
}
