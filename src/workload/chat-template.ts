/**
 * A model's chat template, so a chat prompt's token count is the one the server reports: vLLM
 * renders the messages through the template of `tokenizer_config.json` (or `chat_template.jinja`)
 * and counts the rendered text, role headers and special tokens included. Rendered with
 * `@huggingface/jinja`, the engine transformers.js uses for the same templates.
 *
 * Only a tokenizer *folder* brings its template: a workload that names a `tokenizer.json` file, or
 * a built-in encoding, counts the message contents alone.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Template } from '@huggingface/jinja';
import { ServebenchError } from '../errors.js';
import type { Tokenizer } from './tokenizer.js';

export interface ChatMessageLike {
  readonly role: string;
  readonly content: string;
}

export interface ChatTemplate {
  /** Where the template came from, for messages. */
  readonly source: string;
  /** The text the server tokenizes for these messages (with the assistant's header to answer). */
  render(messages: readonly ChatMessageLike[]): string;
}

const CONFIG_FILE = 'tokenizer_config.json';
const TEMPLATE_FILE = 'chat_template.jinja';
const cache = new Map<string, { mtimeMs: number; template: ChatTemplate | undefined }>();

/** The chat template of a tokenizer folder, or undefined when `path` is not a folder or has none. */
export function loadChatTemplate(path: string, label = path): ChatTemplate | undefined {
  const dir = resolve(path);
  let st;
  try {
    st = statSync(dir);
  } catch {
    return undefined; // loadTokenizer reports a missing path
  }
  if (!st.isDirectory()) return undefined;
  const configFile = join(dir, CONFIG_FILE);
  const templateFile = join(dir, TEMPLATE_FILE);
  const mtimeMs = Math.max(mtimeOf(configFile), mtimeOf(templateFile));
  const hit = cache.get(dir);
  if (hit && hit.mtimeMs === mtimeMs) return hit.template;
  const template = readTemplate(label, configFile, templateFile);
  cache.set(dir, { mtimeMs, template });
  return template;
}

function mtimeOf(file: string): number {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

function readTemplate(label: string, configFile: string, templateFile: string): ChatTemplate | undefined {
  const configLabel = join(label, CONFIG_FILE);
  let config: Record<string, unknown> = {};
  if (existsSync(configFile)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(configFile, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ServebenchError('E_DATASET', `${configLabel}: not valid JSON (${(e as Error).message})`);
    }
  }
  // transformers writes the template to its own file since 4.43; the config's copy is the older place.
  const fromFile = existsSync(templateFile);
  const source = fromFile ? join(label, TEMPLATE_FILE) : `${configLabel} chat_template`;
  const text = fromFile ? readFileSync(templateFile, 'utf8') : defaultTemplateOf(config.chat_template);
  if (text === undefined) return undefined;
  let compiled: Template;
  try {
    compiled = new Template(text);
  } catch (e) {
    throw new ServebenchError('E_DATASET', `${source}: cannot parse the chat template (${(e as Error).message})`);
  }
  const specials = {
    bos_token: tokenText(config.bos_token),
    eos_token: tokenText(config.eos_token),
    unk_token: tokenText(config.unk_token),
    pad_token: tokenText(config.pad_token),
  };
  const template: ChatTemplate = {
    source,
    render: (messages) => compiled.render({ ...specials, messages, add_generation_prompt: true }),
  };
  try {
    template.render([{ role: 'user', content: 'hello' }]);
  } catch (e) {
    throw new ServebenchError('E_DATASET', `${source}: the chat template fails on one user message (${(e as Error).message})`);
  }
  return template;
}

/** `chat_template` is a string, or a list of named templates of which "default" is the chat one. */
function defaultTemplateOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const named = v.find((t) => typeof t === 'object' && t !== null && (t as { name?: unknown }).name === 'default') as { template?: unknown } | undefined;
    return typeof named?.template === 'string' ? named.template : undefined;
  }
  return undefined;
}

/** Special tokens are written as a string or as an AddedToken object `{ content }`. */
function tokenText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return '';
}

/** Counts chat messages as the server does: the rendered template, special tokens included. */
export class TemplateCounter {
  constructor(
    readonly template: ChatTemplate,
    private readonly tokenizer: Tokenizer,
  ) {}

  countMessages(messages: readonly ChatMessageLike[]): number {
    return this.tokenizer.count(this.template.render(messages));
  }

  /**
   * Tokens the template adds around one user message. `exact` when it adds the same number for
   * every probe text: then a prompt's count is its content's count plus `tokens`, no rendering.
   */
  overhead(probes: readonly string[]): { tokens: number; exact: boolean } {
    const added = probes.map((p) => this.countMessages([{ role: 'user', content: p }]) - this.tokenizer.count(p));
    return { tokens: added[0] ?? 0, exact: added.length > 0 && added.every((a) => a === added[0]) };
  }
}
