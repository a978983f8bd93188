/**
 * What the turns of a chat workload's conversations say (`conversation:`). Each conversation follows
 * a script: its first turn's messages, and the user messages of its later turns. Synthetic workloads
 * draw the later user messages from the workload's length distributions (a small pool, cycled);
 * dataset workloads take each conversation's own later human turns (ShareGPT `conversations`, or a
 * JSONL record's later `user` messages) and end after its last one. The assistant messages of the
 * history are never the dataset's: the engine puts in the replies the server actually sent.
 *
 * Built once per worker before the start; at send time a turn costs one body (the history grows).
 */
import { resolve } from 'node:path';
import type { ResolvedWorkload } from '../scenario/types.js';
import { Rng } from '../util/random.js';
import { readDataset, type ChatMessage, type DatasetRecord } from './dataset.js';
import { DEFAULT_OUTPUT_TOKENS, PromptBuilder, drawLength, samplePromptItems, workloadChatCounter, workloadTokenizer, type Tokenizer } from './prompts.js';
import { generativeBody } from './prepare.js';

/** One later turn's user message, its token count and the output length to ask for. */
export interface TurnPrompt {
  readonly text: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface ConversationScript {
  /** The first turn's messages: a dataset record's leading system messages, then its first user message. */
  readonly first: readonly ChatMessage[];
  readonly firstInputTokens: number;
  readonly firstOutputTokens: number;
  /** A dataset conversation's later turns (it ends after the last); null: synthetic later turns. */
  readonly later: readonly TurnPrompt[] | null;
}

/** Synthetic later-turn messages made per worker; they are cycled (turn 1 already makes each conversation distinct). */
const SYNTHETIC_POOL = 64;

export class ConversationTurns {
  readonly scripts: readonly ConversationScript[];
  private readonly synthetic: readonly TurnPrompt[];
  private nextSynthetic = 0;
  private nextScript = 0;
  private readonly rng: Rng;
  readonly turnsMin: number;
  readonly turnsMax: number;

  /** `count` scripts for workload `w` (which must have `conversation`), seeded like its prompts. */
  constructor(
    private readonly w: ResolvedWorkload,
    count: number,
    seed: number,
    baseDir?: string,
  ) {
    const c = w.conversation!;
    this.turnsMin = c.turnsMin;
    this.turnsMax = c.turnsMax;
    this.rng = new Rng((seed ^ 0x7a3b) >>> 0);
    const tokenizer = workloadTokenizer(w, baseDir);
    if (w.dataset !== undefined) {
      this.scripts = datasetScripts(w, count, seed, tokenizer, baseDir);
      this.synthetic = [];
    } else {
      this.scripts = samplePromptItems(w, count, seed, baseDir).map((p) => ({ first: p.messages!, firstInputTokens: p.inputTokens, firstOutputTokens: p.outputTokens, later: null }));
      this.synthetic = syntheticTurns(w, tokenizer, this.turnsMax > 1 ? SYNTHETIC_POOL : 0, seed);
    }
  }

  /** The script of the next conversation (cycled). */
  nextScriptFor(): ConversationScript {
    const s = this.scripts[this.nextScript];
    this.nextScript = this.nextScript + 1 === this.scripts.length ? 0 : this.nextScript + 1;
    return s;
  }

  /** How many turns the next conversation has (uniform in [min, max]; a dataset conversation may end sooner). */
  drawTurns(): number {
    return this.turnsMin + Math.floor(this.rng.next() * (this.turnsMax - this.turnsMin + 1));
  }

  /** The user message of turn `turn` (2 or later) of a conversation on `script`; null when a dataset conversation has no more. */
  laterTurn(script: ConversationScript, turn: number): TurnPrompt | null {
    if (script.later !== null) return script.later[turn - 2] ?? null;
    const p = this.synthetic[this.nextSynthetic];
    this.nextSynthetic = this.nextSynthetic + 1 === this.synthetic.length ? 0 : this.nextSynthetic + 1;
    return p ?? null;
  }

  /** A turn's request body: the whole history so far, ending with this turn's user message. */
  body(messages: readonly ChatMessage[], outputTokens: number): Buffer {
    return Buffer.from(JSON.stringify(generativeBody(this.w, { messages: messages as ChatMessage[], inputTokens: 0, outputTokens })));
  }
}

function syntheticTurns(w: ResolvedWorkload, tokenizer: Tokenizer, count: number, seed: number): TurnPrompt[] {
  const p = w.prompt!;
  const rng = new Rng((seed * 31 + 0x51ed) >>> 0);
  const builder = PromptBuilder.for(tokenizer);
  const out: TurnPrompt[] = [];
  for (let i = 0; i < count; i++) {
    const { text, tokens } = builder.build(drawLength(p.inputTokens, rng), rng, undefined);
    out.push({ text, inputTokens: tokens, outputTokens: drawLength(p.outputTokens, rng) });
  }
  return out;
}

function datasetScripts(w: ResolvedWorkload, count: number, seed: number, tokenizer: Tokenizer, baseDir?: string): ConversationScript[] {
  const label = w.dataset!;
  const { records } = readDataset(baseDir === undefined ? resolve(label) : resolve(baseDir, label), label);
  const chat = workloadChatCounter(w, tokenizer, baseDir);
  const rng = new Rng(seed);
  const n = Math.min(count, records.length);
  // Distinct records while there are enough (a partial seeded shuffle), in a seeded order.
  const order = Array.from(records.keys());
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (order.length - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const laterCap = w.conversation!.turnsMax - 1;
  return order.slice(0, n).map((k) => recordScript(records[k], w, tokenizer, laterCap, chat));
}

/** A record's conversation: its first turn, and up to `laterCap` later turns. */
export function recordScript(r: DatasetRecord, w: ResolvedWorkload, tokenizer: Tokenizer, laterCap: number, chat?: { countMessages(m: ChatMessage[]): number }): ConversationScript {
  const askFor = (reply: string | undefined, recorded: number | undefined): number =>
    w.maxTokens ?? (reply !== undefined ? Math.max(1, tokenizer.count(reply)) : recorded) ?? DEFAULT_OUTPUT_TOKENS;
  let first: ChatMessage[];
  let firstReply: string | undefined;
  let later: Array<{ prompt: string; reply?: string }>;
  if (r.messages) {
    // Leading system messages and the first user message; each later user message is a turn, and
    // the assistant message after it only tells the length to ask for.
    const msgs = r.messages;
    let u = msgs.findIndex((m) => m.role === 'user');
    if (u < 0) u = msgs.length - 1;
    first = msgs.slice(0, u + 1).map((m) => ({ role: m.role, content: m.content }));
    const replyAfter = (i: number): string | undefined => (msgs[i + 1]?.role === 'assistant' ? msgs[i + 1].content : undefined);
    firstReply = replyAfter(u);
    later = [];
    for (let i = u + 1; i < msgs.length; i++) if (msgs[i].role === 'user') later.push({ prompt: msgs[i].content, reply: replyAfter(i) });
  } else {
    first = [{ role: 'user', content: r.prompt ?? '' }];
    firstReply = r.completion;
    later = [...(r.laterTurns ?? [])];
  }
  let firstInputTokens = 0;
  if (chat) firstInputTokens = chat.countMessages(first);
  else for (const m of first) firstInputTokens += tokenizer.count(m.content);
  return {
    first,
    firstInputTokens,
    firstOutputTokens: w.maxTokens ?? r.outputTokens ?? (firstReply !== undefined ? Math.max(1, tokenizer.count(firstReply)) : DEFAULT_OUTPUT_TOKENS),
    later: later.slice(0, laterCap).map((t) => ({ text: t.prompt, inputTokens: tokenizer.count(t.prompt), outputTokens: askFor(t.reply, r.outputTokens) })),
  };
}
