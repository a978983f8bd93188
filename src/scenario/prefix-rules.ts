/**
 * Checks of `prompt.prefix` (shared-prefix pools) that relate keys: it replaces `prefixTokens`
 * (one shared prefix), so the two are not given together, and every worker builds all the pools'
 * texts, so their total size is bounded.
 */
import type { ProblemList } from './source.js';
import type { Seg } from './messages.js';
import { isObject } from '../util/values.js';

/** pools × tokens above this would hold tens of MB of prefix text in every worker. */
export const PREFIX_MAX_POOL_TOKENS = 4_194_304;

export function checkPrefixPools(prompt: Record<string, unknown>, at: Seg[], problems: ProblemList): void {
  const prefix = prompt.prefix;
  if (!isObject(prefix)) return;
  if (Object.hasOwn(prompt, 'prefixTokens')) {
    problems.add([...at, 'prefixTokens'], 'key', `use either 'prefixTokens' or 'prefix', not both ('prefixTokens: n' is 'prefix: { pools: 1, tokens: n, share: 100% }')`);
  }
  const pools = typeof prefix.pools === 'number' ? prefix.pools : 1;
  const tokens = typeof prefix.tokens === 'number' ? prefix.tokens : undefined;
  if (tokens !== undefined && Number.isSafeInteger(pools) && pools * tokens > PREFIX_MAX_POOL_TOKENS) {
    problems.add([...at, 'prefix', 'tokens'], 'value', `pools × tokens is ${pools * tokens}; at most ${PREFIX_MAX_POOL_TOKENS} prefix tokens in all (every worker builds each pool's text)`);
  }
}
