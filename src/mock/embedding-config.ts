/**
 * The mock's `/v1/embeddings` settings (`embedding:` in the mock config): the vectors' length and
 * the latency model (a fixed part plus a part per input token, as a pooling model's prefill is).
 */
import type { Checker } from './config-check.js';

export interface MockEmbeddingConfig {
  /** Length of each vector (a request's `dimensions` asks for another). */
  dimensions?: number;
  /** Time of every request, whatever its inputs. */
  baseMs?: number;
  /** Time per input token of the whole batch. */
  msPerToken?: number;
}

export type ResolvedMockEmbeddingConfig = Required<MockEmbeddingConfig>;

export const EMBEDDING_DEFAULTS: ResolvedMockEmbeddingConfig = { dimensions: 384, baseMs: 2, msPerToken: 0.005 };

const KEYS = ['dimensions', 'baseMs', 'msPerToken'] as const;

/** Checks `embedding:` into `cfg` (problems go to the checker, with their paths). */
export function embeddingInto(c: Checker, v: unknown, cfg: ResolvedMockEmbeddingConfig): void {
  const o = c.object(v, 'embedding', KEYS);
  if (!o) return;
  const dims = o.dimensions === undefined ? undefined : c.number(o.dimensions, 'embedding.dimensions', { min: 1, max: 65_536, integer: true });
  if (dims !== undefined) cfg.dimensions = dims;
  const base = o.baseMs === undefined ? undefined : c.number(o.baseMs, 'embedding.baseMs', { min: 0 });
  if (base !== undefined) cfg.baseMs = base;
  const per = o.msPerToken === undefined ? undefined : c.number(o.msPerToken, 'embedding.msPerToken', { min: 0 });
  if (per !== undefined) cfg.msPerToken = per;
}
