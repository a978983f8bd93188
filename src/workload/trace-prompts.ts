/**
 * Prompts of a replayed trace: text of the record's input length, built with the workload's
 * tokenizer by the synthetic prompt builder (prompts.ts). A record's shared blocks come first, each
 * from its own seed, so equal block ids give equal text (the prefix a server's cache can hit); the
 * rest of the length is text seeded by the record's index, unique to it.
 *
 * A block of k tokens is the first k pieces of its id's text: the builder draws one piece per
 * token from the seed in order, so a partial last block is a prefix of the full one. Exact token
 * counts need a tokenizer that passes the builder's sum rule (tiktoken encodings, byte-level BPE,
 * Llama 2's SentencePiece); with another the count is the sum of the blocks' fitted counts.
 */
import type { ResolvedWorkload } from '../scenario/types.js';
import { Rng } from '../util/random.js';
import { PromptBuilder, workloadChatCounter, workloadTokenizer, type PromptItem } from './prompts.js';

/** A prefix of no text: makes the builder start a block with a spaced word (text follows). */
const AFTER_TEXT = { text: '', tokens: 0 } as const;

/**
 * Block texts kept for reuse: shared blocks recur across a trace (that is what they are), and
 * building a 512-token block costs about as much as sending its request. Bounded: the oldest
 * entry goes when it is full (about 3 kB a block with the default tokenizer).
 */
const MAX_CACHED_BLOCKS = 4096;
/** Block lengths up to this are cached (the key packs seed, length and position in 53 bits). */
const MAX_CACHED_TOKENS = 1 << 20;

export class TracePrompts {
  private readonly builder: PromptBuilder;
  /** Tokens the chat template adds around the content, when the workload's tokenizer has one. */
  private readonly frame: { tokens: number; exact: boolean } | undefined;
  private readonly chat: ReturnType<typeof workloadChatCounter>;
  private readonly blocks = new Map<number, { text: string; tokens: number }>();

  constructor(
    private readonly w: ResolvedWorkload,
    baseDir: string,
  ) {
    const tokenizer = workloadTokenizer(w, baseDir);
    this.builder = PromptBuilder.for(tokenizer);
    this.chat = workloadChatCounter(w, tokenizer, baseDir);
    this.frame = this.chat?.overhead([1, 16, 200].map((n) => this.builder.build(n, new Rng(n), undefined).text));
  }

  /**
   * The prompt of one record: its blocks `seeds[from..to)` of `tokens[from..to)` tokens, then
   * text seeded by `tailSeed` up to `inputTokens` in all (the chat template's tokens included).
   */
  item(inputTokens: number, outputTokens: number, seeds: Uint32Array, tokens: Int32Array, from: number, to: number, tailSeed: number): PromptItem {
    const budget = Math.max(1, inputTokens - (this.frame?.tokens ?? 0));
    let text = '';
    let n = 0;
    for (let j = from; j < to && n < budget; j++) {
      const b = this.block(seeds[j], Math.min(tokens[j], budget - n), n === 0);
      text += b.text;
      n += b.tokens;
    }
    if (n < budget) {
      const b = this.builder.build(budget - n, new Rng(tailSeed), n === 0 ? undefined : AFTER_TEXT);
      text += b.text;
      n += b.tokens;
    }
    if (this.w.kind !== 'chat') return { prompt: text, inputTokens: n, outputTokens };
    const messages = [{ role: 'user', content: text }];
    if (!this.chat || !this.frame) return { messages, inputTokens: n, outputTokens };
    return { messages, inputTokens: this.frame.exact ? n + this.frame.tokens : this.chat.countMessages(messages), outputTokens };
  }

  /** The text of block `seed` cut to `tokens`, at the start of the prompt or after text. */
  private block(seed: number, tokens: number, atStart: boolean): { text: string; tokens: number } {
    if (tokens >= MAX_CACHED_TOKENS) return this.builder.build(tokens, new Rng(seed), atStart ? undefined : AFTER_TEXT);
    const key = (seed * MAX_CACHED_TOKENS + tokens) * 2 + (atStart ? 1 : 0);
    let b = this.blocks.get(key);
    if (b === undefined) {
      b = this.builder.build(tokens, new Rng(seed), atStart ? undefined : AFTER_TEXT);
      if (this.blocks.size >= MAX_CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
      this.blocks.set(key, b);
    }
    return b;
  }
}
