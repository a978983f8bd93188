/**
 * Prompt datasets for chat/completion workloads. Two layouts, told apart by the first character:
 *  - JSONL: one record a line, `{"prompt": "..."}` or `{"messages": [{role, content}, …]}`,
 *    optionally with `"output_tokens"` or `"max_tokens"` (the length to ask for);
 *  - a JSON array (ShareGPT and the like): `[{"conversations": [{"from": "human", "value": …},
 *    {"from": "gpt", "value": …}]}, …]`; array elements may also be {prompt}/{messages} records.
 * The whole file is checked when read (every broken record is reported with file:line), so a bad
 * line fails the run at the start, not when the sampler happens to pick it.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { ServebenchError, type Problem } from '../errors.js';
import { errText } from '../util/values.js';

export interface ChatMessage {
  role: string;
  content: string;
}

/** One usable record. Token counts are not taken here: only the sampled records get counted. */
export interface DatasetRecord {
  /** 1-based line of the record in the file. */
  readonly line: number;
  readonly prompt?: string;
  readonly messages?: readonly ChatMessage[];
  /** A recorded output length (output_tokens / max_tokens). */
  readonly outputTokens?: number;
  /** ShareGPT: the reply that followed the prompt; its token count is the output length. */
  readonly completion?: string;
  /** ShareGPT: the human turns after the first, each with the reply that followed it (conversation workloads). */
  readonly laterTurns?: readonly DatasetTurn[];
}

export interface DatasetTurn {
  readonly prompt: string;
  readonly reply?: string;
}

export interface Dataset {
  readonly file: string;
  readonly records: readonly DatasetRecord[];
  /** ShareGPT conversations skipped because they had no human turn. */
  readonly skipped: number;
}

const cache = new Map<string, { mtimeMs: number; size: number; dataset: Dataset }>();

/** Problems past this many are summarized in the message as "… and N more". */
const MAX_LISTED = 10;

/**
 * Read and check a dataset. `absPath` is what is opened; `label` (the path as the scenario wrote
 * it) is what messages name. Cached per file while its mtime and size stay the same: every worker
 * of a run samples the same file.
 */
export function readDataset(absPath: string, label: string = absPath): Dataset {
  let st;
  let text: string;
  try {
    st = statSync(absPath);
    if (st.isDirectory()) throw new Error('EISDIR: it is a directory');
    const hit = cache.get(absPath);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.dataset;
    text = readFileSync(absPath, 'utf8');
  } catch (e) {
    throw new ServebenchError('E_DATASET', `${label}: cannot read dataset (${errText(e)})`, { hint: absPath !== label ? `looked for ${absPath}` : undefined });
  }
  const dataset = parseDataset(text, label, extname(absPath).toLowerCase());
  cache.set(absPath, { mtimeMs: st.mtimeMs, size: st.size, dataset });
  return dataset;
}

export function parseDataset(text: string, label: string, ext = ''): Dataset {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.search(/\S/);
  if (first === -1) throw new ServebenchError('E_DATASET', `${label}: the dataset is empty`);
  const problems: Problem[] = [];
  const records: DatasetRecord[] = [];
  let skipped = 0;
  const problem = (line: number, message: string) => problems.push({ file: label, line, col: 1, path: '', message });
  const take = (value: unknown, line: number) => {
    const r = toRecord(value, line, problem);
    if (r === 'skip') skipped++;
    else if (r) records.push(r);
  };

  const multiLineObject = text[first] === '{' && ext === '.json';
  if (text[first] === '[' || multiLineObject) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const pos = /position (\d+)/.exec(errText(e));
      const line = pos ? lineAt(text, Number(pos[1])) : 1;
      throw new ServebenchError('E_DATASET', `${label}:${line}: not valid JSON (${errText(e)})`);
    }
    if (!Array.isArray(value)) {
      throw new ServebenchError('E_DATASET', `${label}:${lineAt(text, first)}: expected a JSON array of records, or JSONL`);
    }
    const lines = elementLines(text, first);
    value.forEach((v, i) => take(v, lines[i] ?? 1));
  } else {
    let line = 0;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      line++;
      const raw = text.slice(start, end).trim();
      start = end + 1;
      if (raw.length === 0) continue;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        problem(line, `not valid JSON (${errText(e)})`);
        continue;
      }
      take(value, line);
    }
  }

  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_LISTED).map((p) => `${p.file}:${p.line}: ${p.message}`);
    if (problems.length > MAX_LISTED) shown.push(`… and ${problems.length - MAX_LISTED} more`);
    throw new ServebenchError('E_DATASET', shown.join('\n'), { problems });
  }
  if (records.length === 0) {
    throw new ServebenchError('E_DATASET', `${label}: no usable prompts${skipped ? ` (${skipped} conversations without a human turn)` : ''}`);
  }
  return { file: label, records, skipped };
}

type Report = (line: number, message: string) => void;

const HUMAN = new Set(['human', 'user']);
const ASSISTANT = new Set(['gpt', 'assistant', 'chatgpt', 'bard', 'bing', 'model']);

/** A record, 'skip' for a ShareGPT conversation with nothing to ask, or undefined after a report. */
function toRecord(v: unknown, line: number, report: Report): DatasetRecord | 'skip' | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    report(line, 'expected {prompt} or {messages}');
    return undefined;
  }
  const o = v as Record<string, unknown>;
  let outputTokens: number | undefined;
  for (const key of ['output_tokens', 'max_tokens'] as const) {
    if (o[key] === undefined || outputTokens !== undefined) continue;
    const n = o[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      report(line, `${key} must be a positive integer`);
      return undefined;
    }
    outputTokens = n;
  }

  if (Array.isArray(o.conversations)) return shareGpt(o.conversations, line, report, outputTokens);
  if (o.messages !== undefined) {
    const messages = toMessages(o.messages, line, report);
    if (!messages) return undefined;
    return { line, messages, prompt: typeof o.prompt === 'string' ? o.prompt : undefined, outputTokens };
  }
  if (typeof o.prompt === 'string') {
    if (o.prompt.length === 0) {
      report(line, 'prompt is empty');
      return undefined;
    }
    return { line, prompt: o.prompt, outputTokens };
  }
  report(line, 'expected {prompt} or {messages}');
  return undefined;
}

function toMessages(v: unknown, line: number, report: Report): ChatMessage[] | undefined {
  if (!Array.isArray(v) || v.length === 0) {
    report(line, 'messages must be a non-empty array of {role, content}');
    return undefined;
  }
  const out: ChatMessage[] = [];
  for (let i = 0; i < v.length; i++) {
    const m = v[i] as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string' || typeof m.content !== 'string') {
      report(line, `messages[${i}] needs a string role and a string content`);
      return undefined;
    }
    out.push({ role: m.role, content: m.content });
  }
  return out;
}

function shareGpt(turns: unknown[], line: number, report: Report, outputTokens: number | undefined): DatasetRecord | 'skip' | undefined {
  const speaker = (t: unknown): string | undefined => {
    if (typeof t !== 'object' || t === null) return undefined;
    const o = t as Record<string, unknown>;
    const who = o.from ?? o.role;
    return typeof who === 'string' ? who.toLowerCase() : undefined;
  };
  const textOf = (t: unknown): string | undefined => {
    const o = t as Record<string, unknown>;
    const text = o.value ?? o.content;
    return typeof text === 'string' ? text : undefined;
  };
  for (let i = 0; i < turns.length; i++) {
    const who = speaker(turns[i]);
    if (who === undefined) {
      report(line, `conversations[${i}] needs "from" and "value"`);
      return undefined;
    }
    if (!HUMAN.has(who)) continue;
    const prompt = textOf(turns[i]);
    if (prompt === undefined) {
      report(line, `conversations[${i}] needs "from" and "value"`);
      return undefined;
    }
    // Real ShareGPT dumps hold empty and one-sided conversations: skipped, as vLLM's benchmark does.
    if (prompt.trim().length === 0) return 'skip';
    const replyAt = (k: number): string | undefined => {
      const reply = k + 1 < turns.length && ASSISTANT.has(speaker(turns[k + 1]) ?? '') ? textOf(turns[k + 1]) : undefined;
      return reply && reply.length > 0 ? reply : undefined;
    };
    const later: DatasetTurn[] = [];
    // Later human turns, up to the first empty or malformed one; only conversation workloads use them.
    for (let k = i + 1; k < turns.length; k++) {
      if (!HUMAN.has(speaker(turns[k]) ?? '')) continue;
      const text = textOf(turns[k]);
      if (text === undefined || text.trim().length === 0) break;
      later.push({ prompt: text, reply: replyAt(k) });
    }
    return { line, prompt, outputTokens, completion: replyAt(i), ...(later.length > 0 ? { laterTurns: later } : {}) };
  }
  return 'skip';
}

/** 1-based line number of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * The line on which each top-level element of a JSON array starts, found with one scan that only
 * tracks strings and nesting depth (the text is already known to be valid JSON).
 */
function elementLines(text: string, open: number): number[] {
  const lines: number[] = [];
  let line = lineAt(text, open);
  let depth = 0;
  let expectValue = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    if (depth === 1 && expectValue && c !== 93 /* ] */) {
      lines.push(line);
      expectValue = false;
    }
    if (c === 34 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
        else if (d === 10) line++;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === 93 || c === 125) depth--;
    else if (c === 44 /* , */ && depth === 1) expectValue = true;
  }
  return lines;
}
