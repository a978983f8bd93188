/**
 * Token counting for prompts. Two sources, both offline:
 *  - the built-in default: OpenAI's tiktoken encodings as shipped inside the `gpt-tokenizer` npm
 *    package (vocabulary in the package, pure JS, no download). `cl100k_base` is the default: the
 *    Llama 3 and Qwen 2 vocabularies grew out of it, so for English text its counts are close to
 *    what the vLLM-served models of those families report.
 *  - a local Hugging Face `tokenizer.json` (the file next to a model's weights), read by the small
 *    counter below. It follows the `tokenizers` library's pipeline (added tokens → normalizer →
 *    pre-tokenizer → model) for the common cases: byte-level BPE (GPT-2, Llama 3, Qwen), BPE with
 *    byte fallback (Llama 2, Mistral), WordPiece (BERT) and Unigram (T5). It only counts: no ids,
 *    no offsets, no post-processor (special tokens a chat template adds are not counted).
 */
import { createRequire } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ServebenchError } from '../errors.js';

export interface Tokenizer {
  readonly name: string;
  count(text: string): number;
}

// ---------------------------------------------------------------------------------------------
// Built-in encodings (gpt-tokenizer)

/** Encodings shipped by gpt-tokenizer that a scenario may name instead of a tokenizer.json path. */
export const BUILTIN_ENCODINGS = ['cl100k_base', 'o200k_base', 'p50k_base', 'r50k_base'] as const;
export type BuiltinEncoding = (typeof BUILTIN_ENCODINGS)[number];
export const DEFAULT_ENCODING: BuiltinEncoding = 'cl100k_base';

interface GptTokenizerEncoding {
  countTokens(text: string, opts?: { disallowedSpecial?: Set<string> }): number;
}

// Loaded on first use with require(): each vocabulary costs 70–200 ms to build, which a predictive
// run (and every worker that never counts a token) should not pay at import time.
const requireCjs = createRequire(import.meta.url);
const builtinCache = new Map<string, Tokenizer>();
// Prompt text that happens to contain `<|endoftext|>` is counted as plain text, not refused.
const NO_SPECIALS = new Set<string>();

function builtinTokenizer(name: BuiltinEncoding): Tokenizer {
  let t = builtinCache.get(name);
  if (!t) {
    const enc = requireCjs(`gpt-tokenizer/cjs/encoding/${name}`) as GptTokenizerEncoding;
    t = { name, count: (text: string) => (text.length === 0 ? 0 : enc.countTokens(text, { disallowedSpecial: NO_SPECIALS })) };
    builtinCache.set(name, t);
  }
  return t;
}

export function isBuiltinEncoding(name: string): name is BuiltinEncoding {
  return (BUILTIN_ENCODINGS as readonly string[]).includes(name);
}

/** The tokenizer used when a workload names none: `cl100k_base`, shipped inside gpt-tokenizer. */
export function defaultTokenizer(): Tokenizer {
  return builtinTokenizer(DEFAULT_ENCODING);
}

const fileCache = new Map<string, { mtimeMs: number; size: number; tokenizer: Tokenizer }>();

/**
 * `undefined` → the default; a built-in encoding name (`cl100k_base`, `o200k_base`, …) → that
 * encoding; otherwise a local HF `tokenizer.json` file, or a model directory that holds one.
 * Nothing is ever downloaded: a hub model id is reported as a missing file.
 */
export function loadTokenizer(path?: string): Tokenizer {
  if (path === undefined || path === '') return defaultTokenizer();
  if (isBuiltinEncoding(path)) return builtinTokenizer(path);
  let file = resolve(path);
  let st;
  try {
    st = statSync(file);
    if (st.isDirectory()) {
      file = join(file, 'tokenizer.json');
      st = statSync(file);
    }
  } catch (e) {
    throw new ServebenchError('E_DATASET', `${path}: cannot read tokenizer (${errText(e)})`, {
      hint: `give a local HF tokenizer.json (or its directory), or one of ${BUILTIN_ENCODINGS.join(', ')}; servebench never downloads a tokenizer`,
    });
  }
  const hit = fileCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.tokenizer;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ServebenchError('E_DATASET', `${path}: not a valid tokenizer.json (${errText(e)})`);
  }
  const tokenizer = hfTokenizer(json, path);
  fileCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, tokenizer });
  return tokenizer;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// Hugging Face tokenizer.json

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Build a counter from a parsed tokenizer.json; `label` names the file in error messages. */
export function hfTokenizer(json: unknown, label: string): Tokenizer {
  if (!isObj(json)) throw new ServebenchError('E_DATASET', `${label}: not a tokenizer.json (expected an object)`);
  const model = json.model;
  if (!isObj(model)) throw new ServebenchError('E_DATASET', `${label}: not a tokenizer.json (no "model")`);
  const ctx = { label };
  const normalize = buildNormalizer(json.normalizer, ctx);
  const preTokenize = buildPreTokenizer(json.pre_tokenizer, ctx);
  const countPiece = buildModel(model, ctx);
  const added = addedTokenRegex(json.added_tokens);

  const countSegment = (text: string, atStart: boolean): number => {
    if (text.length === 0) return 0;
    const normalized = normalize(text);
    if (normalized.length === 0) return 0;
    let n = 0;
    for (const piece of preTokenize(normalized, atStart)) if (piece.length > 0) n += countPiece(piece);
    return n;
  };

  return {
    name: label,
    count(text: string): number {
      if (!added) return countSegment(text, true);
      // Added (special) tokens are matched on the raw text first and count one each.
      let n = 0;
      let last = 0;
      added.lastIndex = 0;
      for (let m = added.exec(text); m; m = added.exec(text)) {
        n += countSegment(text.slice(last, m.index), last === 0) + 1;
        last = m.index + m[0].length;
      }
      return n + countSegment(text.slice(last), last === 0);
    },
  };
}

function addedTokenRegex(v: unknown): RegExp | undefined {
  if (!Array.isArray(v)) return undefined;
  const contents = v
    .filter(isObj)
    .map((t) => t.content)
    .filter((c): c is string => typeof c === 'string' && c.length > 0)
    .sort((a, b) => b.length - a.length);
  if (contents.length === 0) return undefined;
  return new RegExp(contents.map(escapeRegex).join('|'), 'gu');
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&');
}

interface Ctx {
  readonly label: string;
}

function unsupported(ctx: Ctx, what: string, type: unknown): never {
  throw new ServebenchError('E_DATASET', `${ctx.label}: unsupported tokenizer ${what} type ${String(type)}`, {
    hint: 'supported: BPE (byte-level or byte-fallback), WordPiece and Unigram models',
  });
}

// --- normalizers ------------------------------------------------------------------------------

type Normalizer = (s: string) => string;

function patternOf(p: unknown, ctx: Ctx, flags: string): RegExp {
  if (isObj(p) && typeof p.String === 'string') return new RegExp(escapeRegex(p.String), flags);
  if (isObj(p) && typeof p.Regex === 'string') {
    try {
      return new RegExp(translateRegex(p.Regex), flags);
    } catch (e) {
      throw new ServebenchError('E_DATASET', `${ctx.label}: unsupported regex ${JSON.stringify(p.Regex)} (${errText(e)})`);
    }
  }
  throw new ServebenchError('E_DATASET', `${ctx.label}: unsupported pattern ${JSON.stringify(p)}`);
}

const COMBINING = /\p{Mn}/gu;

function buildNormalizer(n: unknown, ctx: Ctx): Normalizer {
  if (n === null || n === undefined) return (s) => s;
  if (!isObj(n)) return unsupported(ctx, 'normalizer', JSON.stringify(n));
  switch (n.type) {
    case 'Sequence': {
      const parts = (Array.isArray(n.normalizers) ? n.normalizers : []).map((x) => buildNormalizer(x, ctx));
      return (s) => parts.reduce((acc, f) => f(acc), s);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = n.type;
      return (s) => s.normalize(form);
    }
    // SentencePiece's precompiled char map is, for practical text, NFKC.
    case 'Precompiled':
      return (s) => s.normalize('NFKC');
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Strip': {
      const left = n.strip_left !== false;
      const right = n.strip_right !== false;
      return (s) => (left && right ? s.trim() : left ? s.trimStart() : right ? s.trimEnd() : s);
    }
    case 'StripAccents':
      return (s) => s.normalize('NFD').replace(COMBINING, '');
    case 'Replace': {
      const re = patternOf(n.pattern, ctx, 'gu');
      const content = typeof n.content === 'string' ? n.content : '';
      return (s) => s.replace(re, () => content);
    }
    case 'Prepend': {
      const pre = typeof n.prepend === 'string' ? n.prepend : '';
      return (s) => (s.length > 0 ? pre + s : s);
    }
    case 'BertNormalizer': {
      const lower = n.lowercase !== false;
      const strip = n.strip_accents === true || (n.strip_accents !== false && lower);
      const chinese = n.handle_chinese_chars !== false;
      const clean = n.clean_text !== false;
      return (s) => {
        let out = s;
        if (clean) out = out.replace(/[\u0000\ufffd\p{Cc}]/gu, (c) => (/\s/.test(c) ? ' ' : ''));
        if (chinese) out = out.replace(/[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\uf900-\ufaff]/gu, (c) => ` ${c} `);
        if (strip) out = out.normalize('NFD').replace(COMBINING, '');
        if (lower) out = out.toLowerCase();
        return out;
      };
    }
    default:
      return unsupported(ctx, 'normalizer', n.type);
  }
}

// --- pre-tokenizers ---------------------------------------------------------------------------

/** Splits normalized text into the pieces the model sees; `atStart` is true at the text's start. */
type PreTokenizer = (s: string, atStart: boolean) => string[];

// BERT's is_punctuation: Unicode P* plus every ASCII non-alphanumeric printable character.
const BERT_PUNCT = '[\\p{P}\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e]';

// The GPT-2 pattern that ByteLevel uses when use_regex is true.
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

function buildPreTokenizer(p: unknown, ctx: Ctx): PreTokenizer {
  if (p === null || p === undefined) return (s) => [s];
  if (!isObj(p)) return unsupported(ctx, 'pre_tokenizer', JSON.stringify(p));
  switch (p.type) {
    case 'Sequence': {
      const steps = (Array.isArray(p.pretokenizers) ? p.pretokenizers : []).map((x) => buildPreTokenizer(x, ctx));
      return (s, atStart) => {
        let pieces = [s];
        for (const step of steps) {
          const next: string[] = [];
          pieces.forEach((piece, i) => {
            for (const q of step(piece, atStart && i === 0)) next.push(q);
          });
          pieces = next;
        }
        return pieces;
      };
    }
    case 'ByteLevel': {
      const prefixSpace = p.add_prefix_space === true;
      const re = p.use_regex === false ? undefined : new RegExp(GPT2_PATTERN, 'gu');
      // Like `tokenizers`, the prefix space goes on every split this step receives, not only the first.
      return (s) => {
        const text = prefixSpace && !s.startsWith(' ') ? ' ' + s : s;
        const pieces = re ? splitIsolated(text, re) : [text];
        return pieces.map(byteLevelEncode);
      };
    }
    case 'Split': {
      const re = patternOf(p.pattern, ctx, 'gu');
      const behavior = typeof p.behavior === 'string' ? p.behavior : 'Isolated';
      if (!['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'].includes(behavior)) {
        return unsupported(ctx, 'Split behavior', behavior);
      }
      const invert = p.invert === true;
      return (s) => splitBy(s, re, behavior, invert);
    }
    case 'Metaspace': {
      const rep = typeof p.replacement === 'string' ? p.replacement : '\u2581';
      const scheme = typeof p.prepend_scheme === 'string' ? p.prepend_scheme : p.add_prefix_space === false ? 'never' : 'always';
      const split = p.split !== false;
      return (s, atStart) => {
        let t = s.replaceAll(' ', rep);
        if ((scheme === 'always' || (scheme === 'first' && atStart)) && !t.startsWith(rep)) t = rep + t;
        if (!split) return [t];
        const out: string[] = [];
        let start = 0;
        for (let i = t.indexOf(rep, 1); i !== -1; i = t.indexOf(rep, i + rep.length)) {
          out.push(t.slice(start, i));
          start = i;
        }
        out.push(t.slice(start));
        return out;
      };
    }
    case 'Whitespace': {
      const re = /[\p{L}\p{N}\p{M}_]+|[^\p{L}\p{N}\p{M}_\s]+/gu;
      return (s) => s.match(re) ?? [];
    }
    case 'WhitespaceSplit':
      return (s) => s.split(/\s+/u).filter((x) => x.length > 0);
    case 'BertPreTokenizer': {
      const re = new RegExp(`${BERT_PUNCT}|[^\\s${BERT_PUNCT.slice(1, -1)}]+`, 'gu');
      return (s) => s.match(re) ?? [];
    }
    case 'Punctuation': {
      const behavior = typeof p.behavior === 'string' ? p.behavior : 'Isolated';
      const re = new RegExp(BERT_PUNCT, 'gu');
      return (s) => splitBy(s, re, behavior, false);
    }
    case 'Digits': {
      const re = p.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
      return (s) => splitBy(s, re, 'Isolated', false);
    }
    case 'UnicodeScripts':
      return (s) => [s];
    default:
      return unsupported(ctx, 'pre_tokenizer', p.type);
  }
}

/** Every match and every gap between matches, in order (the `tokenizers` 'Isolated' behavior). */
function splitIsolated(s: string, re: RegExp): string[] {
  return splitBy(s, re, 'Isolated', false);
}

function splitBy(s: string, re: RegExp, behavior: string, invert: boolean): string[] {
  // Spans of [start, end, isMatch].
  const spans: Array<[number, number, boolean]> = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    if (m.index > last) spans.push([last, m.index, invert]);
    spans.push([m.index, m.index + m[0].length, !invert]);
    last = m.index + m[0].length;
  }
  if (last < s.length) spans.push([last, s.length, invert]);
  const out: string[] = [];
  switch (behavior) {
    case 'Removed':
      for (const [a, b, isMatch] of spans) if (!isMatch) out.push(s.slice(a, b));
      break;
    case 'MergedWithPrevious': {
      let start = 0;
      for (const [, b, isMatch] of spans) {
        if (isMatch) {
          out.push(s.slice(start, b));
          start = b;
        }
      }
      if (start < s.length) out.push(s.slice(start));
      break;
    }
    case 'MergedWithNext': {
      let start = 0;
      for (const [a, , isMatch] of spans) {
        if (isMatch && a > start) {
          out.push(s.slice(start, a));
          start = a;
        }
      }
      if (start < s.length) out.push(s.slice(start));
      break;
    }
    case 'Contiguous': {
      let cur: [number, number, boolean] | undefined;
      for (const sp of spans) {
        if (cur && cur[2] && sp[2]) cur[1] = sp[1];
        else {
          if (cur) out.push(s.slice(cur[0], cur[1]));
          cur = [...sp];
        }
      }
      if (cur) out.push(s.slice(cur[0], cur[1]));
      break;
    }
    default:
      for (const [a, b] of spans) out.push(s.slice(a, b));
  }
  return out.filter((x) => x.length > 0);
}

/**
 * tokenizers' Split patterns are Oniguruma/fancy-regex syntax. JavaScript on Node 20 lacks two
 * things they use: scoped flags `(?i:…)` (expanded here to explicit case classes) and possessive
 * quantifiers `++ *+ ?+` (made greedy, which splits ordinary text the same way).
 */
export function translateRegex(src: string): string {
  let out = '';
  let inClass = false;
  let lastWasQuantifier = false;
  const ciStack: boolean[] = []; // per open group: is it a (?i:…) group
  let ci = 0; // depth of enclosing case-insensitive groups
  // Inside a case-insensitive class, the letters and ranges again in the other case: [a-c] → [a-cA-C].
  let classAlt = '';
  const swap = (ch: string) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase());
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      let esc = src.slice(i, i + 2);
      if ((src[i + 1] === 'p' || src[i + 1] === 'P') && src[i + 2] === '{') {
        const end = src.indexOf('}', i);
        esc = src.slice(i, end + 1);
      }
      out += esc;
      i += esc.length - 1;
      lastWasQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        if (ci > 0 && /[a-zA-Z]/.test(classAlt)) out += classAlt;
        classAlt = '';
      } else if (/[a-zA-Z]/.test(c)) classAlt += swap(c);
      else if (c === '-' && /[a-zA-Z]$/.test(classAlt)) classAlt += c;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += ']';
        i++;
      }
      classAlt = '';
      lastWasQuantifier = false;
      continue;
    }
    if (c === '(') {
      if (src.startsWith('(?i:', i)) {
        ciStack.push(true);
        ci++;
        out += '(?:';
        i += 3;
      } else {
        ciStack.push(false);
        out += c;
      }
      lastWasQuantifier = false;
      continue;
    }
    if (c === ')') {
      if (ciStack.pop()) ci--;
      out += c;
      lastWasQuantifier = false;
      continue;
    }
    if (c === '+' && lastWasQuantifier) {
      lastWasQuantifier = false; // possessive: drop the '+'
      continue;
    }
    if (c === '+' || c === '*' || c === '}' || (c === '?' && out[out.length - 1] !== '(')) {
      out += c;
      lastWasQuantifier = true;
      continue;
    }
    lastWasQuantifier = false;
    if (ci > 0 && /[a-zA-Z]/.test(c)) out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else out += c;
  }
  return out;
}

// GPT-2's reversible byte → printable-character map used by byte-level BPE vocabularies.
const BYTE_CHARS: string[] = (() => {
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return table;
})();
const utf8 = new TextEncoder();

function byteLevelEncode(s: string): string {
  let out = '';
  for (const b of utf8.encode(s)) out += BYTE_CHARS[b];
  return out;
}

// --- models -----------------------------------------------------------------------------------

type PieceCounter = (piece: string) => number;

/** Pieces shorter than this are memoized: prompts repeat the same words endlessly. */
const CACHE_MAX_PIECE = 64;
const CACHE_MAX_ENTRIES = 200_000;

function memoize(f: PieceCounter): PieceCounter {
  const cache = new Map<string, number>();
  return (piece) => {
    if (piece.length > CACHE_MAX_PIECE) return f(piece);
    let n = cache.get(piece);
    if (n === undefined) {
      n = f(piece);
      if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
      cache.set(piece, n);
    }
    return n;
  };
}

function buildModel(model: Json, ctx: Ctx): PieceCounter {
  let type = model.type;
  if (type === undefined) {
    // Files written by old versions of tokenizers carry no type: infer it from the fields.
    if (Array.isArray(model.merges)) type = 'BPE';
    else if (Array.isArray(model.vocab)) type = 'Unigram';
    else if (typeof model.continuing_subword_prefix === 'string') type = 'WordPiece';
  }
  switch (type) {
    case 'BPE':
      return memoize(bpeModel(model, ctx));
    case 'WordPiece':
      return memoize(wordPieceModel(model, ctx));
    case 'Unigram':
      return memoize(unigramModel(model, ctx));
    default:
      return unsupported(ctx, 'model', type);
  }
}

function vocabOf(model: Json, ctx: Ctx): Map<string, number> {
  if (!isObj(model.vocab)) throw new ServebenchError('E_DATASET', `${ctx.label}: model.vocab must be an object of token → id`);
  return new Map(Object.entries(model.vocab as Record<string, number>));
}

function utf8Length(s: string): number {
  return utf8.encode(s).length;
}

/**
 * BPE with a heap of candidate merges and a linked list of symbols: O(n log n) per piece, which
 * matters for tokenizers without a pre-tokenizer (Llama 2) where a whole prompt is one piece.
 * Ties between equal ranks go to the leftmost pair, as in the `tokenizers` library.
 */
function bpeModel(model: Json, ctx: Ctx): PieceCounter {
  const vocab = vocabOf(model, ctx);
  const ranks = new Map<string, number>();
  const merges = Array.isArray(model.merges) ? model.merges : [];
  merges.forEach((m, rank) => {
    let a: unknown;
    let b: unknown;
    if (typeof m === 'string') {
      const sp = m.indexOf(' ', 1);
      a = m.slice(0, sp);
      b = m.slice(sp + 1);
    } else if (Array.isArray(m)) [a, b] = m;
    if (typeof a !== 'string' || typeof b !== 'string') {
      throw new ServebenchError('E_DATASET', `${ctx.label}: model.merges[${rank}] is not a pair of tokens`);
    }
    const key = a + '\u0000' + b;
    if (!ranks.has(key)) ranks.set(key, rank);
  });
  const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '';
  const suffix = typeof model.end_of_word_suffix === 'string' ? model.end_of_word_suffix : '';
  const byteFallback = model.byte_fallback === true;
  const fuseUnk = model.fuse_unk === true;
  // Without an unk_token, `tokenizers` drops a character missing from the vocabulary.
  const hasUnk = typeof model.unk_token === 'string';
  const ignoreMerges = model.ignore_merges === true;
  const UNK = '\u0000unk';

  return (piece) => {
    if (ignoreMerges && vocab.has(piece)) return 1;
    const chars = Array.from(piece);
    const syms: string[] = [];
    let extra = 0; // byte-fallback tokens: never merged, counted aside
    for (let i = 0; i < chars.length; i++) {
      let s = chars[i];
      if (i > 0 && prefix) s = prefix + s;
      if (i === chars.length - 1 && suffix) s = s + suffix;
      if (vocab.has(s)) syms.push(s);
      else if (byteFallback) {
        extra += utf8Length(chars[i]);
        syms.push(UNK); // a barrier: no merge crosses an unknown character
      } else if (hasUnk && !(fuseUnk && syms[syms.length - 1] === UNK)) syms.push(UNK);
    }
    const n = syms.length;
    if (n <= 1) return byteFallback ? syms.filter((s) => s !== UNK).length + extra : n + extra;

    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const ver = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MergeHeap();
    const rankOf = (a: string, b: string) => (a === UNK || b === UNK ? undefined : ranks.get(a + '\u0000' + b));
    for (let i = 0; i + 1 < n; i++) {
      const r = rankOf(syms[i], syms[i + 1]);
      if (r !== undefined) heap.push(r, i, i + 1, 0, 0);
    }
    let count = n;
    while (heap.size > 0) {
      const [, l, r, vl, vr] = heap.pop();
      if (!alive[l] || !alive[r] || next[l] !== r || ver[l] !== vl || ver[r] !== vr) continue;
      const right = syms[r];
      syms[l] = syms[l] + (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right);
      alive[r] = 0;
      next[l] = next[r];
      if (next[r] !== -1) prev[next[r]] = l;
      ver[l]++;
      count--;
      const p = prev[l];
      if (p !== -1) {
        const rk = rankOf(syms[p], syms[l]);
        if (rk !== undefined) heap.push(rk, p, l, ver[p], ver[l]);
      }
      const q = next[l];
      if (q !== -1) {
        const rk = rankOf(syms[l], syms[q]);
        if (rk !== undefined) heap.push(rk, l, q, ver[l], ver[q]);
      }
    }
    if (byteFallback) {
      let unk = 0;
      for (let i = 0; i < n; i++) if (alive[i] && syms[i] === UNK) unk++;
      return count - unk + extra;
    }
    return count;
  };
}

/** A binary min-heap of merge candidates ordered by (rank, left position). */
class MergeHeap {
  private readonly items: Array<[number, number, number, number, number]> = [];

  get size(): number {
    return this.items.length;
  }

  private less(a: [number, number, number, number, number], b: [number, number, number, number, number]): boolean {
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  }

  push(rank: number, left: number, right: number, vl: number, vr: number): void {
    const h = this.items;
    const item: [number, number, number, number, number] = [rank, left, right, vl, vr];
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(item, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
  }

  pop(): [number, number, number, number, number] {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && this.less(h[l + 1], h[l]) ? l + 1 : l;
        if (!this.less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/** Greedy longest-match-first, as BERT does; a word with an unmatchable rest is one [UNK]. */
function wordPieceModel(model: Json, ctx: Ctx): PieceCounter {
  const vocab = vocabOf(model, ctx);
  const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##';
  const maxChars = typeof model.max_input_chars_per_word === 'number' ? model.max_input_chars_per_word : 100;
  return (piece) => {
    const chars = Array.from(piece);
    if (chars.length > maxChars) return 1;
    let n = 0;
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found = false;
      while (start < end) {
        const sub = (start > 0 ? prefix : '') + chars.slice(start, end).join('');
        if (vocab.has(sub)) {
          found = true;
          break;
        }
        end--;
      }
      if (!found) return 1;
      n++;
      start = end;
    }
    return n;
  };
}

/** SentencePiece Unigram: the Viterbi path of highest total score; its length is the count. */
function unigramModel(model: Json, ctx: Ctx): PieceCounter {
  if (!Array.isArray(model.vocab)) throw new ServebenchError('E_DATASET', `${ctx.label}: Unigram model.vocab must be an array of [piece, score]`);
  const scores = new Map<string, number>();
  let minScore = 0;
  let maxLen = 1;
  for (const entry of model.vocab) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') continue;
    if (!scores.has(entry[0])) scores.set(entry[0], entry[1]);
    minScore = Math.min(minScore, entry[1]);
    maxLen = Math.max(maxLen, Array.from(entry[0]).length);
  }
  const unkScore = minScore - 10; // sentencepiece's kUnkPenalty
  const byteFallback = model.byte_fallback === true;
  return (piece) => {
    const chars = Array.from(piece);
    const n = chars.length;
    const best = new Float64Array(n + 1).fill(-Infinity);
    const count = new Int32Array(n + 1);
    // For unknown runs without byte fallback, consecutive unknown characters fuse into one token.
    const endsUnk = new Uint8Array(n + 1);
    best[0] = 0;
    for (let i = 0; i < n; i++) {
      if (best[i] === -Infinity) continue;
      let sub = '';
      let single = false;
      for (let len = 1; len <= maxLen && i + len <= n; len++) {
        sub += chars[i + len - 1];
        const sc = scores.get(sub);
        if (sc === undefined) continue;
        if (len === 1) single = true;
        const cand = best[i] + sc;
        if (cand > best[i + len]) {
          best[i + len] = cand;
          count[i + len] = count[i] + 1;
          endsUnk[i + len] = 0;
        }
      }
      if (!single) {
        const cand = best[i] + unkScore;
        if (cand > best[i + 1]) {
          best[i + 1] = cand;
          const fused = !byteFallback && endsUnk[i] === 1;
          count[i + 1] = count[i] + (byteFallback ? utf8Length(chars[i]) : fused ? 0 : 1);
          endsUnk[i + 1] = 1;
        }
      }
    }
    return count[n];
  };
}
