/**
 * The vLLM imitation's prompt cache, after vLLM's automatic prefix caching: the prompt is cut into
 * fixed blocks of tokens, each block keyed by a hash of itself and every block before it (so a block
 * only matches after the same whole prefix), and a bounded LRU of block keys stands for the KV
 * blocks the GPU still holds. A request's cached tokens are its leading blocks found in the LRU.
 *
 * Tokens are the mock's own approximation (llm-request.ts): 4 characters a token, so a block is
 * `4 × blockTokens` characters of the rendered prompt. A chat prompt renders its messages in order,
 * each as its role and content between separators, so a later conversation turn that repeats the
 * earlier messages repeats their blocks and hits; a finished chat answer adds the blocks of its
 * reply as the next turn renders it (vLLM caches generated blocks too). Token-id prompts are cut by
 * ids. As in vLLM only full blocks are cached, and a lookup never covers the prompt's last token
 * (it is computed to produce the first output token).
 *
 * Blocks are touched last-to-first on a hit or an insert, so a prompt's first block is its most
 * recently used one and eviction takes the tails of prefixes first, as vLLM's free-block queue does.
 */

type Obj = Record<string, unknown>;

/** Two 32-bit running hashes (FNV-1a and a multiply-xorshift) make a 53-bit key: collisions are negligible at any LRU size. */
const H1 = 0x811c9dc5;
const H2 = 0x9747b28c;

class BlockHasher {
  h1 = H1;
  h2 = H2;
  /** Units (characters or token ids) in the current block. */
  fill = 0;
  readonly keys: number[] = [];

  constructor(private readonly unitsPerBlock: number) {}

  push(unit: number): void {
    this.h1 = Math.imul(this.h1 ^ unit, 0x01000193);
    const h = Math.imul(this.h2 ^ unit, 0x5bd1e995);
    this.h2 = h ^ (h >>> 15);
    if (++this.fill === this.unitsPerBlock) {
      this.fill = 0;
      // The running hash covers every unit so far: block i's key includes blocks 0..i-1.
      this.keys.push((this.h1 >>> 0) * 0x200000 + ((this.h2 >>> 0) & 0x1fffff));
    }
  }

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.push(s.charCodeAt(i));
  }

  /** A chat message: role and content between separators, so two messages never read as one. */
  message(role: unknown, content: unknown): void {
    this.push(1);
    if (typeof role === 'string') this.text(role);
    this.push(2);
    contentText(content, this);
  }
}

/** The chat content's text: a string, or the text parts of a list. */
function contentText(content: unknown, into: BlockHasher): void {
  if (typeof content === 'string') into.text(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part === 'string') into.text(part);
      else if (part && typeof part === 'object' && typeof (part as Obj).text === 'string') into.text((part as Obj).text as string);
    }
  }
}

/** A request's prompt as cache blocks: what it looks up, and (chat) what its answer adds. */
export class PromptBlocks {
  /** Full blocks before the prompt's last token: the ones a lookup may find. */
  readonly lookupBlocks: number;

  constructor(
    private readonly hasher: BlockHasher,
    promptTokens: number,
    blockTokens: number,
    private readonly chat: boolean,
  ) {
    this.lookupBlocks = Math.min(hasher.keys.length, Math.floor(Math.max(0, promptTokens - 1) / blockTokens));
  }

  /** Every full block of the prompt (chained keys). */
  get keys(): readonly number[] {
    return this.hasher.keys;
  }

  /**
   * A chat answer's blocks after the prompt's: the conversation as the next turn renders it, with
   * the reply as an assistant message (vLLM keeps the blocks it generated too). Called once, at the end.
   */
  withReply(reply: string): readonly number[] {
    if (this.chat) this.hasher.message('assistant', reply);
    return this.hasher.keys;
  }
}

/** A validated request's prompt blocks: `promptTokens` is the mock's count of the prompt. */
export function promptBlocks(body: Obj, chat: boolean, blockTokens: number, promptTokens: number): PromptBlocks {
  const p = body.prompt;
  const ids = !chat && Array.isArray(p) && p.every((x) => typeof x === 'number');
  const h = new BlockHasher(ids ? blockTokens : blockTokens * 4);
  if (chat) for (const m of body.messages as Obj[]) h.message(m.role, m.content);
  else if (typeof p === 'string') h.text(p);
  else if (ids) for (const id of p as number[]) h.push(id + 3);
  else if (Array.isArray(p)) for (const s of p as string[]) h.text(s);
  return new PromptBlocks(h, promptTokens, blockTokens, chat);
}

export class PrefixCache {
  /** Block key → nothing; Map order is the LRU order (first = least recently used). */
  private readonly lru = new Map<number, true>();

  constructor(
    readonly capacityBlocks: number,
    readonly blockTokens: number,
  ) {}

  get size(): number {
    return this.lru.size;
  }

  /** How many of the first `max` blocks of `keys` are held, from the start; those are touched. */
  lookup(keys: readonly number[], max = keys.length): number {
    let n = 0;
    while (n < max && this.lru.has(keys[n])) n++;
    this.touch(keys, n);
    return n;
  }

  /** The prompt's blocks are computed (its prefill is done): they are held, the least recently used evicted. */
  insert(keys: readonly number[]): void {
    this.touch(keys, keys.length);
    for (let over = this.lru.size - this.capacityBlocks; over > 0; over--) {
      this.lru.delete(this.lru.keys().next().value!);
    }
  }

  private touch(keys: readonly number[], n: number): void {
    for (let i = n - 1; i >= 0; i--) {
      this.lru.delete(keys[i]);
      this.lru.set(keys[i], true);
    }
  }
}
