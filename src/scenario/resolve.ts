/**
 * The rules zod's per-field schema cannot express, and the resolution of a valid tree into the
 * `ResolvedScenario`.
 *
 * `checkScenario` runs on the raw tree whatever zod found, so one run lists every problem: it
 * looks only at values of the right type and leaves type errors to zod. It also reads the files a
 * scenario names (apiKeyFile, tls.caFile, JSONL bodies) and checks that datasets and tokenizers
 * exist, reporting a problem inside a JSONL file at that file's line.
 *
 * `buildScenario` runs only when there is no problem at all, on zod's output (defaults applied,
 * durations in ms) plus what `checkScenario` read.
 */
import { apiKeyProblem } from './api-key.js';
import { checkBounds } from './bounds.js';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type {
  Distribution,
  LoadType,
  ResolvedConversation,
  ResolvedLoad,
  ResolvedPrompt,
  ResolvedScenario,
  ResolvedSlo,
  ResolvedTarget,
  ResolvedWorkload,
  WorkloadKind,
} from './types.js';
import { formatPath, missingKeyMessage, type Seg } from './messages.js';
import {
  DEFAULTS,
  GENERATIVE_KEYS,
  GENERATIVE_KINDS,
  KINDS,
  LOAD_TYPES,
  PREDICT_KEYS,
  PREDICT_KINDS,
  expected,
  type ScenarioParsed,
  type TokenLengthParsed,
  type WorkloadParsed,
} from './schema.js';
import type { ProblemList } from './source.js';
import { checkCompare, resolveCompare } from './compare.js';
import { checkSweep, resolveSweep } from './sweep.js';
import { checkServer, resolveServer } from './server-resolve.js';
import { ServebenchError } from '../errors.js';
import { parseThreshold } from './threshold-grammar.js';
import type { WorkloadFileChecks } from './file-checks.js';
import { checkTokenRules } from './token-rules.js';
import { checkPrefixPools } from './prefix-rules.js';
import { checkEmbeddingRules, isEmbeddingKind } from './embedding-rules.js';
import { errText, fileErrorText, isObject } from '../util/values.js';
import { checkTraceKeys, isTraceLoad, resolveTrace, traceFormat, traceWindow, type TraceFileData } from './trace-load.js';

export interface ResolveContext {
  /** The scenario file as the user named it ('' for inline text): the base of shown paths. */
  readonly file: string;
  /** Absolute path of the scenario file, '' for inline text. */
  readonly absFile: string;
  /** Directory that relative paths in the scenario are relative to. */
  readonly baseDir: string;
  /** The workload layer's checks of the files the scenario names. */
  readonly checks: WorkloadFileChecks;
}

/** What checkScenario read from the files the scenario names. */
export interface FileData {
  apiKey?: string;
  caFile?: string;
  ca?: string;
  readonly bodies: Map<number, { readonly bodies: unknown[]; readonly source: string }>;
  readonly files: Map<string, string>;
  /** load.type trace: what the check of its file found. */
  trace?: TraceFileData;
}

type Obj = Record<string, unknown>;

function has(o: Obj, k: string): boolean {
  return Object.hasOwn(o, k);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

const LIST_PREDICT = 'predict, classify, regress and infer';
const LIST_GENERATIVE = 'chat and completion';

/** At most this many bad lines of one JSONL file are listed; the rest are counted. */
const MAX_LINE_PROBLEMS = 10;

function locate(ctx: ResolveContext, rel: string): { abs: string; shown: string } {
  const abs = path.resolve(ctx.baseDir, rel);
  const shown = path.isAbsolute(rel) || ctx.file === '' ? rel : path.join(path.dirname(ctx.file), rel);
  return { abs, shown };
}

// ---------------------------------------------------------------------------------------------
// Body shapes per kind

interface BodyProblem {
  /** Path inside the body; for a missing key it ends with the key. */
  readonly sub: readonly Seg[];
  readonly message: string;
  readonly missing?: boolean;
}

function checkBody(kind: WorkloadKind, body: Obj): BodyProblem[] {
  const out: BodyProblem[] = [];
  const listAt = (k: string): void => {
    if (!Array.isArray(body[k])) out.push({ sub: [k], message: expected('a list', body[k], true) });
  };
  switch (kind) {
    case 'predict': {
      const instances = has(body, 'instances');
      const inputs = has(body, 'inputs');
      if (!instances && !inputs) out.push({ sub: [], message: `a predict body needs an 'instances' or 'inputs' list` });
      else if (instances && inputs) out.push({ sub: [], message: `a predict body has 'instances' or 'inputs', not both` });
      else listAt(instances ? 'instances' : 'inputs');
      break;
    }
    case 'classify':
    case 'regress': {
      if (!has(body, 'examples')) out.push({ sub: [], message: `a ${kind} body needs an 'examples' list` });
      else listAt('examples');
      if (has(body, 'context') && !isObject(body.context)) out.push({ sub: ['context'], message: expected('a mapping', body.context, true) });
      if (has(body, 'signature_name') && typeof body.signature_name !== 'string') {
        out.push({ sub: ['signature_name'], message: expected('a string', body.signature_name, true) });
      }
      break;
    }
    case 'infer': {
      if (!has(body, 'inputs')) {
        out.push({ sub: [], message: `an infer body needs an 'inputs' list` });
        break;
      }
      const inputs = body.inputs;
      if (!Array.isArray(inputs)) {
        listAt('inputs');
        break;
      }
      inputs.forEach((input, j) => {
        if (!isObject(input)) out.push({ sub: ['inputs', j], message: expected('a mapping', input, true) });
        else {
          for (const k of ['name', 'shape', 'datatype', 'data']) {
            if (!has(input, k)) out.push({ sub: ['inputs', j, k], message: missingKeyMessage(k), missing: true });
          }
        }
      });
      break;
    }
    default:
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Semantic checks

export function checkScenario(raw: unknown, ctx: ResolveContext, problems: ProblemList): FileData {
  const data: FileData = { bodies: new Map(), files: new Map() };
  if (!isObject(raw)) return data;
  const files = new FileChecks(ctx, problems, data, isTraceLoad(raw.load));
  if (isObject(raw.target)) files.target(raw.target);
  if (Array.isArray(raw.workloads)) files.workloads(raw.workloads);
  if (isObject(raw.load)) checkLoad(raw.load, problems);
  const names = Array.isArray(raw.workloads) ? raw.workloads.filter(isObject).map((w) => w.name).filter(nonEmptyString) : [];
  checkTraceKeys(raw, problems);
  if (isObject(raw.load)) files.traceFile(raw.load, names);
  checkServer(raw.server, isObject(raw.target) ? raw.target.url : undefined, problems); // server-metrics hook
  checkSweep(raw.sweep, raw.load, names, problems);
  if (Array.isArray(raw.thresholds)) checkThresholds(raw.thresholds, names, problems);
  checkCompare(raw, problems);
  checkTokenRules(raw, problems);
  checkBounds(raw, problems);
  return data;
}

/** The checks that read the files a scenario names; what they read goes into `data`. */
class FileChecks {
  constructor(
    private readonly ctx: ResolveContext,
    private readonly problems: ProblemList,
    private readonly data: FileData,
    /** load.type trace: chat/completion workloads take their lengths from the trace. */
    private readonly traceLoad = false,
  ) {}

  private readFile(field: Seg[], rel: string): { text: string; shown: string; abs: string } | undefined {
    const { abs, shown } = locate(this.ctx, rel);
    try {
      return { text: readFileSync(abs, 'utf8'), shown, abs };
    } catch (e) {
      this.problems.add(field, 'value', `cannot read ${shown}: ${fileErrorText(e)}`);
      return undefined;
    }
  }

  private mustExist(field: Seg[], rel: string): void {
    const { abs, shown } = locate(this.ctx, rel);
    try {
      if (!statSync(abs).isFile()) this.problems.add(field, 'value', `cannot read ${shown}: it is not a file`);
      else this.data.files.set(formatPath(field), abs);
    } catch (e) {
      this.problems.add(field, 'value', `cannot read ${shown}: ${fileErrorText(e)}`);
    }
  }

  target(target: Obj): void {
    const { problems, data } = this;
    const t: Seg[] = ['target'];
    if (has(target, 'apiKey') && has(target, 'apiKeyFile')) {
      problems.add([...t, 'apiKeyFile'], 'key', `use either 'apiKey' or 'apiKeyFile', not both`);
    }
    if (has(target, 'mock') && typeof target.url === 'string' && target.url !== 'embedded') {
      problems.add([...t, 'mock'], 'key', `'mock' applies only when url is 'embedded'`);
    }
    if (nonEmptyString(target.apiKeyFile)) {
      const f = this.readFile([...t, 'apiKeyFile'], target.apiKeyFile);
      if (f) {
        const key = f.text.trim();
        const bad = key === '' ? undefined : apiKeyProblem(key);
        if (key === '') problems.add([...t, 'apiKeyFile'], 'value', `${f.shown} is empty`);
        else if (bad) problems.add([...t, 'apiKeyFile'], 'value', `${f.shown}: ${bad}`);
        else data.apiKey = key;
      }
    }
    const tls = target.tls;
    if (isObject(tls) && nonEmptyString(tls.caFile)) {
      const f = this.readFile([...t, 'tls', 'caFile'], tls.caFile);
      if (f) {
        if (!f.text.includes('-----BEGIN')) problems.add([...t, 'tls', 'caFile'], 'value', `${f.shown} is not a PEM file (no -----BEGIN line)`);
        else {
          data.ca = f.text;
          data.caFile = f.abs;
        }
      }
    }
  }

  workloads(workloads: unknown[]): void {
    const firstByName = new Map<string, number>();
    workloads.forEach((w, i) => {
      if (!isObject(w)) return;
      const at: Seg[] = ['workloads', i];
      if (nonEmptyString(w.name)) {
        const first = firstByName.get(w.name);
        if (first === undefined) firstByName.set(w.name, i);
        else this.problems.add([...at, 'name'], 'value', `duplicate workload name '${w.name}' (also workloads[${first}])`);
      }
      this.workload(w, at, i);
    });
  }

  private workload(w: Obj, at: Seg[], i: number): void {
    const { problems } = this;
    const kind = typeof w.kind === 'string' && (KINDS as readonly string[]).includes(w.kind) ? (w.kind as WorkloadKind) : undefined;
    const predictLike = kind !== undefined && PREDICT_KINDS.includes(kind);
    const generative = kind !== undefined && GENERATIVE_KINDS.includes(kind);
    if (predictLike) {
      for (const k of GENERATIVE_KEYS) if (has(w, k)) problems.add([...at, k], 'key', `'${k}' applies to ${LIST_GENERATIVE} workloads`);
      if (has(w, 'body') && has(w, 'bodies')) problems.add([...at, 'bodies'], 'key', `use either 'body' or 'bodies', not both`);
      else if (!has(w, 'body') && !has(w, 'bodies')) problems.add(at, 'value', `a ${kind} workload needs 'body' or 'bodies'`);
    }
    if (generative) {
      for (const k of PREDICT_KEYS) if (has(w, k)) problems.add([...at, k], 'key', `'${k}' applies to ${LIST_PREDICT} workloads`);
      if (has(w, 'prompt') && has(w, 'dataset')) problems.add([...at, 'dataset'], 'key', `use either 'prompt' or 'dataset', not both`);
      else if (!has(w, 'prompt') && !has(w, 'dataset') && !this.traceLoad) problems.add(at, 'value', `a ${kind} workload needs 'prompt' or 'dataset'`);
    }
    if (kind !== undefined) checkEmbeddingRules(w, kind, at, problems);
    if (!generative && !isEmbeddingKind(kind)) {
      if (predictLike && isObject(w.body)) {
        for (const p of checkBody(kind, w.body)) problems.add([...at, 'body', ...p.sub], p.missing ? 'parent' : 'value', p.message);
      }
      if (nonEmptyString(w.bodies)) this.readBodies([...at, 'bodies'], w.bodies, predictLike ? kind : undefined, i);
    }
    if (!predictLike) this.generativeFields(w, at);
    if (has(w, 'conversation')) checkConversation(w, kind, at, problems);
  }

  /** The fields of a chat/completion workload (or one of unknown kind): prompt, dataset, tokenizer, token bounds. */
  private generativeFields(w: Obj, at: Seg[]): void {
    const { problems, ctx, data } = this;
    if (isObject(w.prompt)) {
      for (const k of ['inputTokens', 'outputTokens']) {
        const d = w.prompt[k];
        if (isObject(d)) checkDistribution(d, [...at, 'prompt', k], problems);
      }
      checkPrefixPools(w.prompt, [...at, 'prompt'], problems);
    }
    if (nonEmptyString(w.dataset)) {
      this.mustExist([...at, 'dataset'], w.dataset);
      const abs = data.files.get(formatPath([...at, 'dataset']));
      if (abs !== undefined) ctx.checks.dataset(problems, [...at, 'dataset'], abs, locate(ctx, w.dataset).shown);
    }
    if (nonEmptyString(w.tokenizer)) {
      const field = [...at, 'tokenizer'];
      const { abs, shown } = locate(ctx, w.tokenizer);
      const kept = ctx.checks.tokenizer(problems, field, w.tokenizer, abs, shown);
      if (kept !== undefined) data.files.set(formatPath(field), kept);
    }
    if (typeof w.minTokens === 'number' && typeof w.maxTokens === 'number' && w.minTokens > w.maxTokens) {
      problems.add([...at, 'minTokens'], 'value', expected(`minTokens <= maxTokens (${w.maxTokens})`, w.minTokens));
    }
  }

  /** `load.file` of a trace load: every line is read now. */
  traceFile(load: Obj, names: readonly string[]): void {
    const format = traceFormat(load);
    if (load.type !== 'trace' || !nonEmptyString(load.file) || format === undefined || !this.ctx.checks.trace) return;
    const field: Seg[] = ['load', 'file'];
    this.mustExist(field, load.file);
    const abs = this.data.files.get(formatPath(field));
    if (abs === undefined) return;
    const shown = locate(this.ctx, load.file).shown;
    const r = this.ctx.checks.trace(this.problems, field, abs, shown, format, names);
    if (r) this.data.trace = { abs, shown, ...r };
  }

  /** A predict workload's `bodies:` file, one JSON body a line, each checked like `body:`. */
  private readBodies(field: Seg[], rel: string, kind: WorkloadKind | undefined, i: number): void {
    const { problems, data } = this;
    const f = this.readFile(field, rel);
    if (!f) return;
    const bodies: unknown[] = [];
    let bad = 0;
    const report = (line: number, message: string): void => {
      if (bad++ < MAX_LINE_PROBLEMS) problems.external(f.shown, line, 1, field, message);
    };
    const lines = f.text.split(/\r?\n/);
    for (let n = 1; n <= lines.length; n++) {
      const line = lines[n - 1];
      if (line.trim() === '') continue;
      let body: unknown;
      try {
        body = JSON.parse(line);
      } catch (e) {
        report(n, `line ${n} is not valid JSON: ${errText(e)}`);
        continue;
      }
      if (!isObject(body)) {
        report(n, `line ${n}: ${expected('a JSON object', body)}`);
        continue;
      }
      const shape = kind ? checkBody(kind, body) : [];
      for (const p of shape) {
        const sub = p.missing ? p.sub.slice(0, -1) : p.sub;
        report(n, `line ${n}: ${sub.length > 0 ? `${formatPath(sub)}: ` : ''}${p.message}`);
      }
      if (shape.length === 0) bodies.push(body);
    }
    if (bad > MAX_LINE_PROBLEMS) problems.add(field, 'value', `${f.shown} has ${bad - MAX_LINE_PROBLEMS} more bad lines`, Infinity);
    else if (bad === 0 && bodies.length === 0) problems.add(field, 'value', `${f.shown} has no bodies`);
    data.bodies.set(i, { bodies, source: f.shown });
  }
}

function checkDistribution(d: Obj, at: Seg[], problems: ProblemList): void {
  const num = (k: string): number | undefined => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  if (has(d, 'mean') || has(d, 'stddev')) {
    for (const k of ['mean', 'stddev']) if (!has(d, k)) problems.missing([...at, k]);
    const mean = num('mean');
    const stddev = num('stddev');
    const min = has(d, 'min') ? num('min') : 1;
    if (mean === undefined || stddev === undefined || min === undefined) return;
    if (has(d, 'max')) {
      const max = num('max');
      if (max !== undefined && min > max) problems.add([...at, 'max'], 'value', expected(`max >= min (${min})`, max));
    } else if (min > mean + 4 * stddev) {
      problems.add([...at, 'min'], 'value', expected(`min <= mean + 4 * stddev (${mean + 4 * stddev})`, min));
    }
    return;
  }
  if (!has(d, 'min') && !has(d, 'max')) {
    problems.add(at, 'value', `expected {mean, stddev} or {min, max}, got an empty mapping`);
    return;
  }
  for (const k of ['min', 'max']) if (!has(d, k)) problems.missing([...at, k]);
  const min = num('min');
  const max = num('max');
  if (min !== undefined && max !== undefined && min > max) problems.add([...at, 'max'], 'value', expected(`max >= min (${min})`, max));
}

/** `conversation`: chat workloads only, and a turns range that is not empty. */
function checkConversation(w: Obj, kind: WorkloadKind | undefined, at: Seg[], problems: ProblemList): void {
  if (kind !== undefined && kind !== 'chat') problems.add([...at, 'conversation'], 'key', `'conversation' applies to chat workloads (this one is ${kind})`);
  const turns = isObject(w.conversation) ? w.conversation.turns : undefined;
  if (isObject(turns) && typeof turns.min === 'number' && typeof turns.max === 'number' && turns.min > turns.max) {
    problems.add([...at, 'conversation', 'turns', 'max'], 'value', expected(`max >= min (${turns.min})`, turns.max));
  }
}

/** `load`: which keys apply to which load type, and what each type requires. */
function checkLoad(load: Obj, problems: ProblemList): void {
  const at: Seg[] = ['load'];
  const type: LoadType | undefined = !has(load, 'type')
    ? 'constant'
    : typeof load.type === 'string' && (LOAD_TYPES as readonly string[]).includes(load.type)
      ? (load.type as LoadType)
      : undefined;
  const onlyFor = (key: string, types: readonly LoadType[], list: string): void => {
    if (type !== undefined && !types.includes(type) && has(load, key)) problems.add([...at, key], 'key', `'${key}' applies to ${list} loads`);
  };
  onlyFor('rps', ['constant', 'poisson', 'ramp'], 'constant, poisson and ramp');
  onlyFor('burstiness', ['poisson'], 'poisson');
  onlyFor('stages', ['ramp'], 'ramp');
  onlyFor('concurrency', ['concurrency'], 'concurrency');
  onlyFor('thinkTime', ['concurrency'], 'concurrency');
  if (typeof load.rps === 'number' && Number.isFinite(load.rps) && type !== 'concurrency') {
    if (type === 'constant' || type === 'poisson') {
      if (!(load.rps > 0)) problems.add([...at, 'rps'], 'value', expected('a number > 0', load.rps));
    } else if (load.rps < 0) {
      problems.add([...at, 'rps'], 'value', expected('a number >= 0', load.rps));
    }
  }
  const required = (key: string): void => {
    if (!has(load, key)) problems.missing([...at, key]);
  };
  if (type === 'constant' || type === 'poisson') required('rps');
  if (type === 'ramp') {
    required('stages');
    if (has(load, 'duration')) problems.add([...at, 'duration'], 'key', `'duration' does not apply to ramp loads; the stages set it`);
  }
  if (type === 'concurrency') required('concurrency');
}

/** Thresholds are parsed now, so a malformed one is a scenario error at its line, not a failed run. */
function checkThresholds(thresholds: unknown[], names: readonly string[], problems: ProblemList): void {
  thresholds.forEach((t, i) => {
    const at: Seg[] = isObject(t) ? ['thresholds', i, 'expr'] : ['thresholds', i];
    const expr = isObject(t) ? t.expr : t;
    if (!nonEmptyString(expr)) return;
    try {
      const parsed = parseThreshold(expr);
      if (parsed.workload !== undefined && !names.includes(parsed.workload)) {
        problems.add(at, 'value', `threshold '${parsed.expr}': no workload named '${parsed.workload}' (workloads: ${names.join(', ')})`);
      }
    } catch (e) {
      if (!(e instanceof ServebenchError)) throw e;
      problems.add(at, 'value', e.hint ? `${e.message} (${e.hint})` : e.message);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Resolution

function distribution(d: TokenLengthParsed): Distribution {
  if (typeof d === 'number') return { type: 'fixed', value: d };
  if (d.mean !== undefined && d.stddev !== undefined) {
    return { type: 'normal', mean: d.mean, stddev: d.stddev, min: d.min ?? 1, max: d.max ?? d.mean + 4 * d.stddev };
  }
  return { type: 'uniform', min: d.min!, max: d.max! };
}

function resolveWorkload(w: WorkloadParsed, i: number, files: FileData): ResolvedWorkload {
  const base = { name: w.name, kind: w.kind, model: w.model, weight: w.weight, ...(w.timeout !== undefined ? { timeoutMs: w.timeout } : {}) };
  if (PREDICT_KINDS.includes(w.kind)) {
    const fromFile = files.bodies.get(i);
    return w.body !== undefined
      ? { ...base, bodies: [w.body], bodiesSource: 'inline', stream: false }
      : { ...base, bodies: fromFile!.bodies, bodiesSource: fromFile!.source, stream: false };
  }
  const at = `workloads[${i}]`;
  const out: { -readonly [K in keyof ResolvedWorkload]: ResolvedWorkload[K] } = {
    ...base,
    bodies: [],
    bodiesSource: '',
    stream: w.stream ?? DEFAULTS.stream,
  };
  if (w.prompt) {
    const prompt: ResolvedPrompt = {
      inputTokens: distribution(w.prompt.inputTokens),
      // an embedding asks for no output: the length is never sent
      outputTokens: w.prompt.outputTokens !== undefined ? distribution(w.prompt.outputTokens) : { type: 'fixed', value: 1 },
      prefixTokens: w.prompt.prefixTokens,
      ...(w.prompt.prefix ? { prefix: { pools: w.prompt.prefix.pools, tokens: w.prompt.prefix.tokens, share: w.prompt.prefix.share } } : {}),
    };
    out.prompt = prompt;
  }
  if (w.dataset !== undefined) out.dataset = files.files.get(`${at}.dataset`);
  if (w.maxTokens !== undefined) out.maxTokens = w.maxTokens;
  if (w.ignoreEos !== undefined) out.ignoreEos = w.ignoreEos;
  if (w.minTokens !== undefined) out.minTokens = w.minTokens;
  if (w.temperature !== undefined) out.temperature = w.temperature;
  if (w.seed !== undefined) out.seed = w.seed;
  if (w.extraBody !== undefined) out.extraBody = w.extraBody;
  if (w.tokenizer !== undefined) out.tokenizer = files.files.get(`${at}.tokenizer`);
  if (w.firstTokenTimeout !== undefined) out.firstTokenTimeoutMs = w.firstTokenTimeout;
  if (w.conversation !== undefined) out.conversation = resolveConversation(w.conversation);
  if (isEmbeddingKind(w.kind)) {
    out.stream = false;
    out.batch = w.batch ?? 1;
  }
  return out;
}

function resolveConversation(c: NonNullable<WorkloadParsed['conversation']>): ResolvedConversation {
  const [turnsMin, turnsMax] = typeof c.turns === 'number' ? [c.turns, c.turns] : [c.turns.min, c.turns.max];
  return { turnsMin, turnsMax, thinkTimeMs: c.thinkTime };
}

export function buildScenario(d: ScenarioParsed, files: FileData, ctx: ResolveContext): ResolvedScenario {
  const t = d.target;
  const embedded = t.url === 'embedded';
  const apiKey = t.apiKey ?? files.apiKey;
  const target: ResolvedTarget = {
    url: embedded ? 'embedded' : new URL(t.url).origin,
    embedded,
    project: t.project,
    deployment: t.deployment,
    routing: t.routing,
    client: t.client,
    knativeDomain: t.knativeDomain,
    ...(apiKey !== undefined ? { apiKey } : {}),
    tls: { ...(files.caFile !== undefined ? { caFile: files.caFile, ca: files.ca } : {}), insecure: t.tls.insecure },
    timeoutMs: t.timeout,
    ...(t.firstTokenTimeout !== undefined ? { firstTokenTimeoutMs: t.firstTokenTimeout } : {}),
    connectTimeoutMs: t.connectTimeout,
    ...(t.mock !== undefined ? { mock: t.mock } : {}),
    ...(t.firstByteTimeout !== undefined ? { firstByteTimeoutMs: t.firstByteTimeout } : {}),
    ...(t.maxResponseBytes !== undefined ? { maxResponseBytes: t.maxResponseBytes } : {}),
    ...(t.retry !== undefined ? { retry: { on: t.retry.on, max: t.retry.max, backoffMs: t.retry.backoff } } : {}),
  };

  const l = d.load;
  const stages = l.type === 'ramp' ? (l.stages ?? []).map((s) => ({ durationMs: s.duration, targetRps: s.target })) : [];
  // A trace runs to its last record unless `duration` cuts it; its rps is the trace's mean rate.
  const trace = l.type === 'trace' && files.trace && l.format ? resolveTrace(files.trace, l.format, l.speed) : undefined;
  const traceRun = trace ? traceWindow(trace.records, trace.spanMs, trace.speed, l.warmup) : undefined;
  const load: ResolvedLoad = {
    type: l.type,
    rps: l.type === 'concurrency' ? 0 : (traceRun?.rps ?? l.rps ?? 0),
    durationMs: l.type === 'ramp' ? stages.reduce((sum, s) => sum + s.durationMs, 0) : (l.duration ?? traceRun?.durationMs ?? DEFAULTS.durationMs),
    warmupMs: l.warmup,
    requests: l.requests,
    workers: l.workers,
    connections: l.connections,
    maxInFlight: l.maxInFlight,
    onSaturation: l.onSaturation,
    seed: l.seed,
    burstiness: l.burstiness ?? DEFAULTS.burstiness,
    stages,
    concurrency: l.concurrency ?? 0,
    thinkTimeMs: l.thinkTime ?? DEFAULTS.thinkTimeMs,
    ...(trace ? { trace } : {}),
  };

  const slo: ResolvedSlo = {
    ...(d.slo.ttft !== undefined ? { ttftMs: d.slo.ttft } : {}),
    ...(d.slo.tpot !== undefined ? { tpotMs: d.slo.tpot } : {}),
    ...(d.slo.itl !== undefined ? { itlMs: d.slo.itl } : {}),
    ...(d.slo.latency !== undefined ? { latencyMs: d.slo.latency } : {}),
  };

  return deepFreeze({
    name: d.name,
    file: ctx.absFile,
    target,
    workloads: d.workloads.map((w, i) => resolveWorkload(w, i, files)),
    load,
    slo,
    thresholds: d.thresholds.map((t) => (typeof t === 'string' ? t : t.expr).trim()),
    abortOnFail: d.thresholds.flatMap((t) => (typeof t === 'object' && t.abortOnFail ? [{ expr: t.expr.trim(), delayMs: t.delayAbortEval }] : [])),
    ...(d.compare ? { compare: resolveCompare(d.compare) } : {}),
    ...(d.sweep !== undefined ? { sweep: resolveSweep(d.sweep) } : {}),
    // server-metrics hook
    ...(d.server !== undefined ? { server: resolveServer(d.server, target.tls) } : {}),
    ...(d.output?.requests ? { output: { requests: true } } : {}),
  });
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
