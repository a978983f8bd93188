/**
 * The prefix-cache figures of a run: the share of its input tokens that the server's prefix cache
 * held (usage.prompt_tokens_details.cached_tokens over usage.prompt_tokens), for the summary and
 * every report that shows it.
 */
import type { Totals } from './summary-types.js';

/** cachedInputTokens / inputTokens, 0..1 to four decimals; 0 without input tokens. */
export function cacheHitRatio(t: Pick<Totals, 'inputTokens' | 'cachedInputTokens'>): number {
  const cached = t.cachedInputTokens ?? 0;
  return t.inputTokens > 0 ? Math.round((cached / t.inputTokens) * 10_000) / 10_000 : 0;
}

/** `41.2 %` of a ratio, as the console and report.html show it. */
export function cacheHitText(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}
