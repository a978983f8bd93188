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

export class TracePrompts {
  private readonly builder: PromptBuilder;
  /** Tokens the chat template adds around the content, when the workload's tokenizer has one. */
  private readonly frame: { tokens: number; exact: boolean } | undefined;
  private readonly chat: ReturnType<typeof workloadChatCounter>;

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
      const b = this.builder.build(Math.min(tokens[j], budget - n), new Rng(seeds[j]), n === 0 ? undefined : AFTER_TEXT);
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
}
