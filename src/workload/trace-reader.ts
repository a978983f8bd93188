/**
 * Trace files for `load.type: trace`: one request per record, read line by line in fixed-size
 * chunks (a trace of millions of lines never sits in memory as text). Three formats:
 * - mooncake: the FAST'25 Mooncake traces as AIPerf and vLLM read them, JSONL of `timestamp` (ms),
 *   `input_length`, `output_length`, `hash_ids` (one id per block of 512 tokens; equal ids across
 *   lines are a shared prefix block);
 * - azure: the Azure LLM inference trace CSV (AzurePublicDataset 2023/2024): `TIMESTAMP`
 *   (a date-time), `ContextTokens`, `GeneratedTokens`;
 * - servebench: JSONL of `{ t, inputTokens, outputTokens, workload?, prefix? }`.
 * Every record is handed to `onRecord` with its time as written (ms; relative to the first record
 * by the caller); a bad line is a problem naming the file, the line and the field.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { TraceFormat } from '../scenario/types.js';
import { parseDurationMs } from '../scenario/units.js';
import { show } from '../scenario/messages.js';
import { ServebenchError } from '../errors.js';
import { errText, fileErrorText, isObject } from '../util/values.js';

/** Tokens per `hash_ids` block in the Mooncake traces (and AIPerf's and vLLM's readers). */
export const MOONCAKE_BLOCK_TOKENS = 512;

/** One request of a trace. The object is reused from line to line: copy what you keep. */
export interface TraceRecord {
  /** 1-based line in the file. */
  line: number;
  /** As written (mooncake, servebench: ms; azure: ms since the epoch), not yet relative. */
  timeMs: number;
  inputTokens: number;
  outputTokens: number;
  /** Index into the scenario's workloads, or -1: the workload mix picks by weight. */
  workload: number;
  /** Shared blocks at the start of the prompt: a seed (equal seed, equal text) and a token count each. */
  readonly blockSeeds: number[];
  readonly blockTokens: number[];
}

export interface TraceProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface TraceReadResult {
  records: number;
  /** Time of the last record minus the first's, as written (ms). */
  spanMs: number;
  /** The first bad lines (at most `maxProblems`). */
  problems: TraceProblem[];
  badLines: number;
}

const CHUNK_BYTES = 1 << 20;

/** Calls `onLine(text, lineNumber)` for every line of the file, reading 1 MiB at a time. */
export function forEachLine(abs: string, onLine: (text: string, line: number) => void): void {
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let line = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      const text = rest + decoder.write(buf.subarray(0, n));
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        onLine(stripCr(text.slice(from, nl)), ++line);
        from = nl + 1;
      }
      rest = text.slice(from);
    }
    rest += decoder.end();
    if (rest.length > 0) onLine(stripCr(rest), ++line);
  } finally {
    closeSync(fd);
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** A bad field: the message names it; the reader adds the file and line. */
class LineError extends Error {}

/** 32-bit seed of a block id (a Mooncake hash id, or a servebench prefix id): equal ids, equal seeds. */
export function blockSeed(id: number | string): number {
  let h = 0x811c9dc5;
  const s = typeof id === 'number' ? `#${id}` : id;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function intField(o: Record<string, unknown>, key: string, min: number): number {
  const v = o[key];
  if (v === undefined) throw new LineError(`${key}: missing`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new LineError(`${key}: expected an integer >= ${min}, got ${show(v)}`);
  return v;
}

function parseJsonObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new LineError(`not valid JSON: ${errText(e)}`);
  }
  if (!isObject(v)) throw new LineError(`expected a JSON object, got ${show(v)}`);
  return v;
}

function mooncakeLine(text: string, r: TraceRecord): void {
  const o = parseJsonObject(text);
  const ts = o.timestamp;
  if (ts === undefined) throw new LineError('timestamp: missing');
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) throw new LineError(`timestamp: expected a number of ms >= 0, got ${show(ts)}`);
  r.timeMs = ts;
  r.inputTokens = intField(o, 'input_length', 1);
  r.outputTokens = intField(o, 'output_length', 1);
  const ids = o.hash_ids;
  if (ids === undefined) return;
  if (!Array.isArray(ids)) throw new LineError(`hash_ids: expected a list of integers, got ${show(ids)}`);
  // Every block gets at least one token: the last one may be partial (AIPerf's rule).
  if (ids.length > 0 && r.inputTokens <= (ids.length - 1) * MOONCAKE_BLOCK_TOKENS) {
    throw new LineError(`hash_ids: ${ids.length} blocks of ${MOONCAKE_BLOCK_TOKENS} tokens need input_length > ${(ids.length - 1) * MOONCAKE_BLOCK_TOKENS}, got ${r.inputTokens}`);
  }
  let left = r.inputTokens;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new LineError(`hash_ids[${i}]: expected an integer >= 0, got ${show(id)}`);
    r.blockSeeds.push(blockSeed(id));
    r.blockTokens.push(Math.min(MOONCAKE_BLOCK_TOKENS, left));
    left -= MOONCAKE_BLOCK_TOKENS;
  }
}

const SERVEBENCH_KEYS = new Set(['t', 'inputTokens', 'outputTokens', 'workload', 'prefix']);

function servebenchLine(text: string, r: TraceRecord, workloads: readonly string[]): void {
  const o = parseJsonObject(text);
  for (const k of Object.keys(o)) if (!SERVEBENCH_KEYS.has(k)) throw new LineError(`${k}: unknown key (known: ${[...SERVEBENCH_KEYS].join(', ')})`);
  const t = o.t;
  if (t === undefined) throw new LineError('t: missing');
  const ms = typeof t === 'number' ? (Number.isFinite(t) && t >= 0 ? t : undefined) : typeof t === 'string' ? parseDurationMs(t) : undefined;
  if (ms === undefined) throw new LineError(`t: expected ms >= 0 or a duration such as 1.5s, got ${show(t)}`);
  r.timeMs = ms;
  r.inputTokens = intField(o, 'inputTokens', 1);
  r.outputTokens = intField(o, 'outputTokens', 1);
  if (o.workload !== undefined) {
    const i = typeof o.workload === 'string' ? workloads.indexOf(o.workload) : -1;
    if (i < 0) throw new LineError(`workload: expected one of ${workloads.join(', ')}, got ${show(o.workload)}`);
    r.workload = i;
  }
  const p = o.prefix;
  if (p === undefined) return;
  if (!isObject(p)) throw new LineError(`prefix: expected {id, tokens}, got ${show(p)}`);
  for (const k of Object.keys(p)) if (k !== 'id' && k !== 'tokens') throw new LineError(`prefix.${k}: unknown key (known: id, tokens)`);
  if (typeof p.id !== 'string' && !(typeof p.id === 'number' && Number.isFinite(p.id))) throw new LineError(`prefix.id: expected a string or a number, got ${show(p.id)}`);
  const tokens = p.tokens;
  if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 1) throw new LineError(`prefix.tokens: expected an integer >= 1, got ${show(tokens)}`);
  if (tokens > r.inputTokens) throw new LineError(`prefix.tokens: expected at most inputTokens (${r.inputTokens}), got ${tokens}`);
  // A string id and a number id never share text: the number's seed is taken from '#<n>'.
  r.blockSeeds.push(blockSeed(p.id));
  r.blockTokens.push(tokens);
}

const AZURE_COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;

/** `2023-11-16 18:15:46.6805900` (7 fractional digits, more than Date.parse reads) as epoch ms. */
export function parseAzureTimestamp(v: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]00:?00)?$/.exec(v.trim());
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(ms) ? undefined : ms + (m[7] ? Number(`0.${m[7]}`) * 1000 : 0);
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** Column positions from the header line. */
function azureHeader(text: string): number[] {
  const cols = text.split(',').map((c) => unquote(c).toLowerCase());
  return AZURE_COLUMNS.map((name) => {
    const i = cols.indexOf(name.toLowerCase());
    if (i < 0) throw new LineError(`${name}: missing column in the header (expected ${AZURE_COLUMNS.join(', ')})`);
    return i;
  });
}

function azureLine(text: string, r: TraceRecord, cols: number[]): void {
  const cells = text.split(',');
  const cell = (k: number): string => {
    const v = cells[cols[k]];
    if (v === undefined) throw new LineError(`${AZURE_COLUMNS[k]}: missing (${cells.length} columns on this line)`);
    return unquote(v);
  };
  const ts = parseAzureTimestamp(cell(0));
  if (ts === undefined) throw new LineError(`TIMESTAMP: expected a date-time such as 2023-11-16 18:15:46.680, got ${show(cell(0))}`);
  r.timeMs = ts;
  const int = (k: number, min: number): number => {
    const s = cell(k);
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= min)) throw new LineError(`${AZURE_COLUMNS[k]}: expected an integer >= ${min}, got ${show(s)}`);
    return n;
  };
  r.inputTokens = int(1, 1);
  // A request may have generated nothing; it still asks for one token (max_tokens >= 1).
  r.outputTokens = Math.max(1, int(2, 0));
}

/**
 * Reads a whole trace, handing each good record to `onRecord` and collecting the first
 * `maxProblems` bad lines. Times must not go backwards: a trace is replayed in order.
 */
export function readTrace(
  abs: string,
  shown: string,
  format: TraceFormat,
  workloads: readonly string[],
  onRecord: (r: TraceRecord) => void,
  maxProblems = 10,
): TraceReadResult {
  const out: TraceReadResult = { records: 0, spanMs: 0, problems: [], badLines: 0 };
  const r: TraceRecord = { line: 0, timeMs: 0, inputTokens: 0, outputTokens: 0, workload: -1, blockSeeds: [], blockTokens: [] };
  let header: number[] | null = null;
  /** A CSV without the columns: one problem, not one per line. */
  let noHeader = false;
  let first = NaN;
  let previous = -Infinity;
  const bad = (line: number, message: string): void => {
    if (out.badLines++ < maxProblems) out.problems.push({ file: shown, line, message: `line ${line}: ${message}` });
  };
  try {
    forEachLine(abs, (text, line) => {
      if (text.trim() === '' || noHeader) return;
      r.line = line;
      r.workload = -1;
      r.blockSeeds.length = 0;
      r.blockTokens.length = 0;
      try {
        if (format === 'azure') {
          if (header === null) {
            header = azureHeader(text);
            return;
          }
          azureLine(text, r, header);
        } else if (format === 'mooncake') mooncakeLine(text, r);
        else servebenchLine(text, r, workloads);
      } catch (e) {
        if (!(e instanceof LineError)) throw e;
        noHeader = format === 'azure' && header === null;
        bad(line, e.message);
        return;
      }
      if (r.timeMs < previous) {
        bad(line, `${format === 'azure' ? 'TIMESTAMP' : format === 'mooncake' ? 'timestamp' : 't'}: ${r.timeMs - first} ms (from the first record) is before the previous line's ${previous - first} ms; sort the trace by time`);
        return;
      }
      if (out.records === 0) first = r.timeMs;
      previous = r.timeMs;
      out.records++;
      onRecord(r);
    });
  } catch (e) {
    if (e instanceof LineError || e instanceof ServebenchError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new ServebenchError('E_FILE', `cannot read ${shown}: ${fileErrorText(e)}`);
    throw e;
  }
  if (out.records > 0) out.spanMs = previous - first;
  else if (out.badLines === 0) out.problems.push({ file: shown, line: 1, message: `${shown} has no requests` });
  return out;
}
