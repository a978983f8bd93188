/**
 * Prompts for chat/completion workloads: synthetic text of drawn token lengths, or records sampled
 * from a dataset. Every random choice comes from the seeded Rng, so the same seed gives the same
 * prompts, byte for byte.
 *
 * Synthetic lengths are exact under the default tokenizer and any tokenizer that never merges
 * across a space and knows common English words as single tokens (tiktoken encodings, byte-level
 * BPE such as Llama 3/Qwen, Llama 2's SentencePiece): `inputTokens` equals the drawn length and
 * equals `tokenizer.count()` of the text. See `PromptBuilder` for how, and for the fallback.
 *
 * A chat workload whose tokenizer is a model folder with a chat template counts what the server
 * counts: the rendered template (role headers, special tokens) around the messages.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Distribution, ResolvedWorkload } from '../scenario/types.js';
import { Rng } from '../util/random.js';
import { ServebenchError } from '../errors.js';
import { defaultTokenizer, isBuiltinEncoding, loadTokenizer, type Tokenizer } from './tokenizer.js';
import { readDataset, type ChatMessage, type DatasetRecord } from './dataset.js';
import { loadChatTemplate, TemplateCounter } from './chat-template.js';
import { PrefixPools, prefixPoolsOf } from './prefix-pools.js';

export { defaultTokenizer, loadTokenizer, type Tokenizer } from './tokenizer.js';

export interface PromptItem {
  /** chat: OpenAI messages; completion: a prompt string. Exactly one is set. */
  messages?: Array<{ role: string; content: string }>;
  prompt?: string;
  /** measured with the tokenizer */
  inputTokens: number;
  /** output tokens to ask for (max_tokens), from the distribution, or the workload's maxTokens, or the dataset's recorded output length, default 128 */
  outputTokens: number;
}

export const DEFAULT_OUTPUT_TOKENS = 128;

/** Draw a token length: rounded, clamped to [min, max] for normal, and never below 1. */
export function drawLength(d: Distribution, rng: Rng): number {
  let v: number;
  switch (d.type) {
    case 'fixed':
      v = d.value;
      break;
    case 'uniform': {
      const lo = Math.ceil(Math.min(d.min, d.max));
      const hi = Math.floor(Math.max(d.min, d.max));
      v = lo + Math.floor(rng.next() * (hi - lo + 1));
      break;
    }
    case 'normal':
      v = Math.min(d.max, Math.max(d.min, Math.round(d.mean + d.stddev * rng.normal())));
      break;
  }
  return Math.max(1, Math.round(v));
}

/** The tokenizer a workload names (a built-in encoding, or a tokenizer.json relative to baseDir). */
export function workloadTokenizer(w: ResolvedWorkload, baseDir?: string): Tokenizer {
  if (!w.tokenizer) return defaultTokenizer();
  if (isBuiltinEncoding(w.tokenizer) || isAbsolute(w.tokenizer) || baseDir === undefined) return loadTokenizer(w.tokenizer);
  return loadTokenizerRelative(w.tokenizer, baseDir);
}

/** A chat workload's template counter, when its tokenizer is a model folder with a chat template. */
export function workloadChatCounter(w: ResolvedWorkload, tokenizer: Tokenizer, baseDir?: string): TemplateCounter | undefined {
  if (w.kind !== 'chat' || !w.tokenizer || isBuiltinEncoding(w.tokenizer)) return undefined;
  const abs = isAbsolute(w.tokenizer) || baseDir === undefined ? w.tokenizer : resolve(baseDir, w.tokenizer);
  const template = loadChatTemplate(abs, w.tokenizer);
  return template ? new TemplateCounter(template, tokenizer) : undefined;
}

function loadTokenizerRelative(path: string, baseDir: string): Tokenizer {
  try {
    return loadTokenizer(resolve(baseDir, path));
  } catch (e) {
    // Name the file as the scenario wrote it.
    if (e instanceof ServebenchError) throw new ServebenchError(e.code, e.message.replace(resolve(baseDir, path), path), { hint: e.hint ?? `looked in ${baseDir}` });
    throw e;
  }
}

/**
 * `count` prompts for a chat/completion workload. Synthetic when `w.dataset` is unset and
 * `w.prompt` is set; from the dataset (resolved against `baseDir`) otherwise.
 *
 * With `prefixTokens` > 0 every synthetic prompt starts with the same prefix text of that many
 * tokens, followed by the drawn number of tokens (as vLLM's `--random-prefix-len` does), so
 * `inputTokens` = prefixTokens + the drawn length. `prefix: { pools, tokens, share }` draws one of
 * several such prefixes per prompt, or none (prefix-pools.ts). A prefix depends on the workload's
 * name only, not on `seed`: the workers of a run (which get different seeds) share it, as a
 * prefix-cache benchmark needs.
 */
export function samplePromptItems(w: ResolvedWorkload, count: number, seed: number, baseDir?: string): PromptItem[] {
  if (count <= 0) return [];
  const tokenizer = workloadTokenizer(w, baseDir);
  const chat = workloadChatCounter(w, tokenizer, baseDir);
  if (w.dataset !== undefined) return sampleDataset(w, count, seed, tokenizer, chat, baseDir);
  if (!w.prompt) {
    throw new ServebenchError('E_SCENARIO', `workload ${w.name}: a ${w.kind} workload needs a prompt or a dataset`);
  }
  const p = w.prompt;
  const rng = new Rng(seed);
  const builder = PromptBuilder.for(tokenizer);
  const spec = prefixPoolsOf(p);
  const pools = spec ? new PrefixPools(w.name, spec, seed, (n, r) => builder.build(n, r, undefined)) : undefined;
  // With a chat template the drawn length is the server's count: the content gets what the template leaves.
  const frame = chat?.overhead([1, 16, 200].map((n) => builder.build(n, new Rng(n), pools?.texts[0]).text));
  const items: PromptItem[] = [];
  for (let i = 0; i < count; i++) {
    const inputLen = drawLength(p.inputTokens, rng);
    const outputTokens = drawLength(p.outputTokens, rng);
    const prefix = pools?.draw();
    if (!chat || !frame) {
      const { text, tokens } = builder.build(inputLen, rng, prefix);
      items.push(toItem(w, text, tokens, outputTokens));
      continue;
    }
    const { text, tokens } = builder.build(Math.max(1, inputLen - frame.tokens), rng, prefix);
    const messages = [{ role: 'user', content: text }];
    items.push({ messages, inputTokens: frame.exact ? tokens + frame.tokens : chat.countMessages(messages), outputTokens });
  }
  return items;
}

function toItem(w: ResolvedWorkload, text: string, inputTokens: number, outputTokens: number): PromptItem {
  return w.kind === 'chat' ? { messages: [{ role: 'user', content: text }], inputTokens, outputTokens } : { prompt: text, inputTokens, outputTokens };
}

// ---------------------------------------------------------------------------------------------
// Dataset prompts

function sampleDataset(w: ResolvedWorkload, count: number, seed: number, tokenizer: Tokenizer, chat: TemplateCounter | undefined, baseDir?: string): PromptItem[] {
  const label = w.dataset!;
  const abs = baseDir === undefined ? resolve(label) : resolve(baseDir, label);
  const { records } = readDataset(abs, label);
  const rng = new Rng(seed);
  // A seeded shuffle: `count` distinct records while there are enough, then the same order again.
  const order = Array.from(records.keys());
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const memo = new Map<number, { text: string | ChatMessage[]; inputTokens: number; recorded?: number }>();
  const items: PromptItem[] = [];
  for (let i = 0; i < count; i++) {
    const index = order[i % order.length];
    let m = memo.get(index);
    if (!m) {
      m = measureRecord(records[index], w.kind === 'chat', tokenizer, chat);
      memo.set(index, m);
    }
    const outputTokens = w.prompt ? drawLength(w.prompt.outputTokens, rng) : (w.maxTokens ?? m.recorded ?? DEFAULT_OUTPUT_TOKENS);
    const item: PromptItem =
      typeof m.text === 'string'
        ? { prompt: m.text, inputTokens: m.inputTokens, outputTokens }
        : { messages: m.text.map((x) => ({ ...x })), inputTokens: m.inputTokens, outputTokens };
    items.push(item);
  }
  return items;
}

/** A chat item's inputTokens: the rendered template's count, or without one the sum over its messages' contents. */
function measureRecord(
  r: DatasetRecord,
  chat: boolean,
  tokenizer: Tokenizer,
  template: TemplateCounter | undefined,
): { text: string | ChatMessage[]; inputTokens: number; recorded?: number } {
  const recorded = r.outputTokens ?? (r.completion !== undefined ? Math.max(1, tokenizer.count(r.completion)) : undefined);
  if (chat) {
    const messages = r.messages ? r.messages.map((x) => ({ role: x.role, content: x.content })) : [{ role: 'user', content: r.prompt ?? '' }];
    if (template) return { text: messages, inputTokens: template.countMessages(messages), recorded };
    let n = 0;
    for (const x of messages) n += tokenizer.count(x.content);
    return { text: messages, inputTokens: n, recorded };
  }
  // Joined as the request builder joins messages for a completion body.
  const text = r.prompt ?? (r.messages ?? []).map((x) => x.content).join('\n');
  return { text, inputTokens: tokenizer.count(text), recorded };
}

// ---------------------------------------------------------------------------------------------
// Synthetic text

/**
 * Builds text of an exact token count without re-tokenizing as it grows.
 *
 * When a tokenizer never merges across a space, the count of `"w1 w2 … wn"` is the sum of what
 * each piece adds: `"w1"` at the start, then `" w2"`, …, `" wn"` (and `","` / `"."`). The builder
 * keeps only the words that add exactly one token (`count("the" + " w") - count("the") === 1`, and
 * `count("w") === 1` for the first word), and checks that sum rule once per tokenizer on probe
 * texts. Then a prompt of n tokens is n such pieces: one pass, no counting, exact by construction.
 * That holds for tiktoken encodings, byte-level BPE (GPT-2, Llama 3, Qwen), SentencePiece models
 * that keep words apart (Llama 2), WordPiece and Unigram with a Metaspace split.
 *
 * A tokenizer that fails the probe (merges across spaces, or too small a vocabulary) gets the
 * measuring fallback: pieces are added by their estimated costs, the whole text is counted, the
 * tail is trimmed or extended by the observed error, and near the target single tail pieces are
 * swapped; at most 41 counts per prompt. `tokens` is then the measured count of the text: exact in
 * the tests' small-vocabulary fixtures, within ±2 (mostly exact) on one that merges across spaces.
 */
export class PromptBuilder {
  private static readonly cache = new WeakMap<Tokenizer, PromptBuilder>();

  /** True when the sum rule holds: no counting per prompt. */
  readonly additive: boolean;
  /** Pieces at the start of a text (no leading space), and after a word (leading space). */
  private heads: string[] = [];
  private words: string[] = [];
  private puncts: string[] = [];
  /** Fallback: what each head / word adds to a text (≥ 1), and the indexes of the cheapest. */
  private headCosts: number[] = [];
  private wordCosts: number[] = [];
  private cheapHeads: number[] = [];
  private cheapWords: number[] = [];
  private headsByCost = new Map<number, number[]>();
  private wordsByCost = new Map<number, number[]>();

  static for(tokenizer: Tokenizer): PromptBuilder {
    let b = PromptBuilder.cache.get(tokenizer);
    if (!b) {
      b = new PromptBuilder(tokenizer);
      PromptBuilder.cache.set(tokenizer, b);
    }
    return b;
  }

  private constructor(private readonly tokenizer: Tokenizer) {
    const ctx = WORDS[0];
    const base = tokenizer.count(ctx);
    const spaced = WORDS.map((w) => ' ' + w);
    this.headCosts = WORDS.map((w) => Math.max(1, tokenizer.count(w)));
    this.wordCosts = spaced.map((w) => Math.max(1, tokenizer.count(ctx + w) - base));
    this.heads = WORDS.filter((_, i) => this.headCosts[i] === 1);
    this.words = spaced.filter((_, i) => this.wordCosts[i] === 1);
    this.puncts = ['.', ','].filter((p) => tokenizer.count(ctx + p) - base === 1);
    this.additive = this.heads.length >= 8 && this.words.length >= 32 && this.probe();
    if (!this.additive) {
      // Everything, by its cost: a small vocabulary may have few one-token words.
      this.heads = [...WORDS];
      this.words = spaced;
      this.puncts = [];
      const cheapest = (costs: number[]) => {
        const min = Math.min(...costs);
        return costs.flatMap((c, i) => (c === min ? [i] : []));
      };
      this.cheapHeads = cheapest(this.headCosts);
      this.cheapWords = cheapest(this.wordCosts);
      const byCost = (costs: number[]) => {
        const m = new Map<number, number[]>();
        costs.forEach((c, i) => m.set(c, [...(m.get(c) ?? []), i]));
        return m;
      };
      this.headsByCost = byCost(this.headCosts);
      this.wordsByCost = byCost(this.wordCosts);
    }
  }

  private probe(): boolean {
    const rng = new Rng(0x5eed);
    const after = 'x.';
    const afterCount = this.tokenizer.count(after);
    for (const n of [1, 2, 7, 64, 2048]) {
      if (this.tokenizer.count(this.pieces(n, rng, true).join('')) !== n) return false;
      if (this.tokenizer.count(after + this.pieces(n, rng, false).join('')) !== afterCount + n) return false;
    }
    return true;
  }

  /** n one-token pieces (additive mode only). */
  private pieces(n: number, rng: Rng, atStart: boolean): string[] {
    const out: string[] = new Array(n);
    const { heads, words, puncts } = this;
    const nw = words.length;
    out[0] = atStart ? heads[(rng.next() * heads.length) | 0] : words[(rng.next() * nw) | 0];
    let afterWord = true;
    for (let i = 1; i < n; i++) {
      // Now and then a comma or full stop, never two in a row, for text that reads like prose.
      if (afterWord && puncts.length > 0 && rng.next() < 0.08) {
        out[i] = puncts[(rng.next() * puncts.length) | 0];
        afterWord = false;
      } else {
        out[i] = words[(rng.next() * nw) | 0];
        afterWord = true;
      }
    }
    return out;
  }

  /**
   * Text of `tokens` tokens, after `prefix` when given (whose tokens add to the total).
   * Returns the text and its token count.
   */
  build(tokens: number, rng: Rng, prefix: { text: string; tokens: number } | undefined): { text: string; tokens: number } {
    const n = Math.max(1, Math.round(tokens));
    if (this.additive) {
      const body = this.pieces(n, rng, prefix === undefined).join('');
      return prefix ? { text: prefix.text + body, tokens: prefix.tokens + n } : { text: body, tokens: n };
    }
    return this.buildMeasured(n, rng, prefix);
  }

  /**
   * Fits the text to the real tokenizer's count: pieces chosen by estimated cost, then a coarse
   * pass that scales by the measured error and a fine one that changes the tail.
   */
  private buildMeasured(n: number, rng: Rng, prefix: { text: string; tokens: number } | undefined): { text: string; tokens: number } {
    const headTokens = prefix?.tokens ?? 0;
    const f: Fit = { head: prefix?.text ?? '', headTokens, target: headTokens + n, prefixed: prefix !== undefined, rng, parts: [], costs: [], ratio: 1, measured: 0 };
    this.addPieces(f, n);
    f.measured = this.measure(f, f.parts);
    this.coarseFit(f);
    // Fine: one tail change at a time, chosen by estimated cost, kept only when it gets closer.
    for (let round = 0; round < 32 && f.measured !== f.target; round++) this.fineStep(f);
    return { text: f.head + f.parts.join(''), tokens: f.measured };
  }

  private measure(f: Fit, ps: string[]): number {
    return this.tokenizer.count(f.head + ps.join(''));
  }

  /** A piece for position `at` (0 is the start of the text when there is no prefix). */
  private piece(f: Fit, at: number, cheap: boolean): [string, number] {
    if (at === 0 && !f.prefixed) {
      const k = cheap ? pick(f.rng, this.cheapHeads) : any(f.rng, this.heads.length);
      return [this.heads[k], this.headCosts[k]];
    }
    const k = cheap ? pick(f.rng, this.cheapWords) : any(f.rng, this.words.length);
    return [this.words[k], this.wordCosts[k]];
  }

  /** Pieces worth about `deficit` tokens at the measured ratio. */
  private addPieces(f: Fit, deficit: number): void {
    const budget = Math.max(1, Math.round(deficit / f.ratio));
    for (let est = 0; est < budget; ) {
      const [p, c] = this.piece(f, f.parts.length, budget - est <= 2);
      f.parts.push(p);
      f.costs.push(c);
      est += c;
    }
  }

  /** Coarse: scale by the observed error. */
  private coarseFit(f: Fit): void {
    const { parts, costs } = f;
    for (let round = 0; round < 8 && f.measured !== f.target; round++) {
      const est = costs.reduce((x, y) => x + y, 0);
      if (est > 0 && f.measured > f.headTokens) f.ratio = (f.measured - f.headTokens) / est;
      if (Math.abs(f.target - f.measured) <= 2 && round >= 2) break;
      if (f.measured > f.target) {
        let over = f.measured - f.target;
        let first = true;
        while (parts.length > 1 && (first || costs[costs.length - 1] * f.ratio <= over)) {
          over -= costs.pop()! * f.ratio;
          parts.pop();
          first = false;
        }
      } else this.addPieces(f, f.target - f.measured);
      f.measured = this.measure(f, parts);
    }
  }

  /** One tail change (replace, add or drop a piece; or a random swap), kept when it gets closer. */
  private fineStep(f: Fit): void {
    const { parts, costs, rng } = f;
    const diff = f.target - f.measured;
    const last = parts.length - 1;
    const atHead = last === 0 && !f.prefixed;
    const buckets = atHead ? this.headsByCost : this.wordsByCost;
    const tryParts = parts.slice();
    const tryCosts = costs.slice();
    const moves: Array<() => void> = [];
    const replaceWith = buckets.get(costs[last] + diff);
    if (replaceWith) {
      moves.push(() => {
        const k = pick(rng, replaceWith);
        tryParts[last] = atHead ? this.heads[k] : this.words[k];
        tryCosts[last] = atHead ? this.headCosts[k] : this.wordCosts[k];
      });
    }
    const pushOne = this.wordsByCost.get(diff);
    if (pushOne) {
      moves.push(() => {
        const k = pick(rng, pushOne);
        tryParts.push(this.words[k]);
        tryCosts.push(this.wordCosts[k]);
      });
    }
    if (parts.length > 1 && costs[last] === -diff) {
      moves.push(() => {
        tryParts.pop();
        tryCosts.pop();
      });
    }
    // The estimates can be wrong in context: every few rounds (or with no move) a random swap.
    if (moves.length === 0 || rng.next() < 0.25) {
      const [p, c] = this.piece(f, last, false);
      tryParts[last] = p;
      tryCosts[last] = c;
    } else moves[(rng.next() * moves.length) | 0]();
    const m = this.measure(f, tryParts);
    if (Math.abs(f.target - m) < Math.abs(diff)) {
      f.parts = tryParts;
      f.costs = tryCosts;
      f.measured = m;
    }
  }
}

/** A text being fitted to a measured token count (buildMeasured). */
interface Fit {
  head: string;
  headTokens: number;
  target: number;
  prefixed: boolean;
  rng: Rng;
  parts: string[];
  costs: number[];
  /** Measured tokens per unit of estimated cost, corrected after every count. */
  ratio: number;
  measured: number;
}

const pick = (rng: Rng, pool: number[]): number => pool[(rng.next() * pool.length) | 0];
const any = (rng: Rng, len: number): number => (rng.next() * len) | 0;

/**
 * Common English words, lower case, no apostrophes: each is one token in cl100k/o200k and in most
 * model vocabularies, both alone and after a space.
 */
const WORDS: readonly string[] = `the of and to in is was for on that with as by at from his it an were are which this
be or has had not but first one their its new after who they have her she two been other when there
all during into school time may years more most only over city some world would where later up such
used many can state about national out known university united then made three while first however
part since year well new would through both between people also area could under season several
family water called him did them including well before she best number long film what group high
four life work system game government series each same until than second early because known
country house like name these five world back last being around small home south north east west
river team place found major much main end album band take against little great good field power
town public along music church often make among light make day way right king line near side
form land just three today last make help show small large point week state body next water book
order air money story fact month lot study word issue room mother father night party child office
door health person art war history change morning reason research girl guy moment food energy
answer question market road food plan rate price table table voice letter model design report
level paper color space music value heart range island station river garden forest window street`
  .split(/\s+/)
  .filter((w, i, all) => w.length > 0 && all.indexOf(w) === i);
