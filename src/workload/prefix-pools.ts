/**
 * Shared-prefix pools (`prompt.prefix: { pools, tokens, share }`): each synthetic prompt starts,
 * with probability `share`, with one of `pools` fixed prefix texts of `tokens` tokens, drawn
 * uniformly; otherwise it has no shared prefix. This is what a server's prefix cache sees from many
 * users of a few system prompts or documents.
 *
 * A pool's text depends on the workload's name and the pool's index only, never on the seed: the
 * workers of a run (which get different seeds) and the shards of a run share the pools, as a
 * prefix-cache benchmark needs. Which pool a prompt gets comes from the prompt seed (derived from
 * `load.seed`), on an Rng of its own, so adding pools never changes the rest of a prompt's draws.
 * `prefixTokens: n` is pools 1, tokens n, share 1: pool 0's text is the text `prefixTokens` has
 * always built.
 */
import type { ResolvedPrefixPools, ResolvedPrompt } from '../scenario/types.js';
import { Rng } from '../util/random.js';

export interface PrefixText {
  readonly text: string;
  readonly tokens: number;
}

/** The pools a prompt section asks for: `prefix`, or `prefixTokens` as one pool every prompt uses. */
export function prefixPoolsOf(p: ResolvedPrompt): ResolvedPrefixPools | undefined {
  if (p.prefix) return p.prefix.share > 0 ? p.prefix : undefined;
  return p.prefixTokens > 0 ? { pools: 1, tokens: Math.round(p.prefixTokens), share: 1 } : undefined;
}

/** FNV-1a of a string: the seed of a pool's text. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of pool k's text: pool 0 keeps the single prefix's seed (the workload's name). */
export function poolSeed(workload: string, k: number): number {
  return hashName(k === 0 ? workload : `${workload}#prefix${k}`);
}

/** Salt of the draw Rng, so it never runs in step with the prompt Rng of the same seed. */
const DRAW_SALT = 0x2f6b_1c3d;

export class PrefixPools {
  readonly texts: readonly PrefixText[];
  private readonly share: number;
  private readonly rng: Rng;

  /** `build(tokens, rng)`: a text of that many tokens (the workload's PromptBuilder). */
  constructor(workload: string, spec: ResolvedPrefixPools, seed: number, build: (tokens: number, rng: Rng) => PrefixText) {
    this.texts = Array.from({ length: spec.pools }, (_, k) => build(spec.tokens, new Rng(poolSeed(workload, k))));
    this.share = spec.share;
    this.rng = new Rng((seed ^ DRAW_SALT) >>> 0);
  }

  /** The next prompt's pool index, or -1 for a prompt without a shared prefix. */
  drawIndex(): number {
    if (this.share < 1 && this.rng.next() >= this.share) return -1;
    return this.texts.length === 1 ? 0 : (this.rng.next() * this.texts.length) | 0;
  }

  /** The next prompt's prefix, or undefined. */
  draw(): PrefixText | undefined {
    const k = this.drawIndex();
    return k < 0 ? undefined : this.texts[k];
  }
}
