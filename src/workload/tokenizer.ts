/**
 * Token counting for prompts. Two sources, both offline:
 *  - the built-in default: OpenAI's tiktoken encodings as shipped inside the `gpt-tokenizer` npm
 *    package (vocabulary in the package, pure JS, no download). `cl100k_base` is the default: the
 *    Llama 3 and Qwen 2 vocabularies grew out of it, so for English text its counts are close to
 *    what the vLLM-served models of those families report.
 *  - a local Hugging Face `tokenizer.json` (the file next to a model's weights), run by Hugging
 *    Face's own JS port of `tokenizers` (`@huggingface/tokenizers`): added tokens, normalizer,
 *    pre-tokenizer and model as the Rust library runs them. Counted without the post-processor,
 *    so the special tokens a chat template or `add_special_tokens` would add are not counted.
 */
import { createRequire } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ServebenchError } from '../errors.js';
import { errText, isObject } from '../util/values.js';

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

// ---------------------------------------------------------------------------------------------
// Hugging Face tokenizer.json


// The library builds a pass-through model for any other type instead of refusing it.
const MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram'];
// The library's "Unknown <Kind> type: X" errors, by the tokenizer.json key they are about.
const LIBRARY_KINDS: Record<string, string> = {
  TokenizerModel: 'model',
  Normalizer: 'normalizer',
  PreTokenizer: 'pre_tokenizer',
  PostProcessor: 'post_processor',
  Decoder: 'decoder',
};
const SUPPORTED_HINT = 'supported: BPE (byte-level or byte-fallback), WordPiece and Unigram models, as Hugging Face tokenizers.js runs them';
const NO_SPECIAL_TOKENS = { add_special_tokens: false };

/** Build a counter from a parsed tokenizer.json; `label` names the file in error messages. */
export function hfTokenizer(json: unknown, label: string): Tokenizer {
  if (!isObject(json)) throw new ServebenchError('E_DATASET', `${label}: not a tokenizer.json (expected an object)`);
  const model = json.model;
  if (!isObject(model)) throw new ServebenchError('E_DATASET', `${label}: not a tokenizer.json (no "model")`);
  if (!MODEL_TYPES.includes(String(model.type))) unsupported(label, 'model', String(model.type));
  let hf: HfTokenizer;
  try {
    // The library wants every pipeline key present; a hand-written tokenizer.json may leave some out.
    const full = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...json, added_tokens: Array.isArray(json.added_tokens) ? json.added_tokens : [] };
    hf = new HfTokenizer(full, {});
  } catch (e) {
    const m = /^Unknown (\w+) type: (.*)$/.exec(errText(e));
    if (m && LIBRARY_KINDS[m[1]]) unsupported(label, LIBRARY_KINDS[m[1]], m[2]);
    throw new ServebenchError('E_DATASET', `${label}: cannot build a tokenizer from it (${errText(e)})`, { hint: SUPPORTED_HINT });
  }
  return { name: label, count: (text: string) => (text.length === 0 ? 0 : hf.encode(text, NO_SPECIAL_TOKENS).ids.length) };
}

function unsupported(label: string, what: string, type: string): never {
  throw new ServebenchError('E_DATASET', `${label}: unsupported tokenizer ${what} type ${type}`, { hint: SUPPORTED_HINT });
}
