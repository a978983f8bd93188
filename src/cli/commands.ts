/**
 * The commands behind the CLI. Each returns its exit code; printing goes through `Out` so tests
 * can capture it. Only cli/ prints or decides exit codes.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve, dirname, basename } from 'node:path';
import { ExitCode, ServebenchError, formatProblem } from '../errors.js';
import { loadScenario, variantScenarios } from '../scenario/index.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startRun, type Progress, type RunHandle } from '../engine/coordinator.js';
import { buildSummary, type Summary } from '../metrics/summary.js';
import { AbortWatch } from '../metrics/thresholds.js';
import type { RunRecord } from '../metrics/records.js';
import { NdjsonSink, RESULTS_FILE, readRecords } from '../report/ndjson.js';
import { tryWriteReports, writeReports } from '../report/writer.js';
import { writeError } from '../report/write-error.js';
import { prepareOutDir } from '../report/out-dir.js';
import { progressLine, summaryText } from '../report/console.js';
import { registerDefaultWriters } from '../report/index.js';
import { Redactor } from '../util/redact.js';
import { startMock, mockConfigFrom } from '../mock/index.js';
import { writeCiOutputs } from './compare.js';
import { runVariants } from './variants.js';
import { shardDirSuffix } from '../schedule/shard.js';

export interface Out {
  out(line: string): void;
  err(line: string): void;
  /** stderr is a TTY: progress overwrites one line and tables get colour. */
  readonly tty: boolean;
}

export const stdio: Out = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  tty: Boolean(process.stderr.isTTY),
};

/**
 * The progress line of a run: on a terminal one line rewritten each second, else a line per
 * second (CI logs). `end()` finishes the rewritten line before anything else is printed.
 */
export function progressPrinter(o: Out, quiet: boolean | undefined): { onProgress: ((p: Progress) => void) | undefined; end(): void } {
  let lastLen = 0;
  return {
    onProgress: quiet
      ? undefined
      : (p) => {
          const line = progressLine(p);
          if (o.tty) {
            process.stderr.write(`\r${line.padEnd(lastLen)}`);
            lastLen = line.length;
          } else o.err(line);
        },
    end() {
      if (o.tty && lastLen) process.stderr.write('\n');
      lastLen = 0;
    },
  };
}

export function defaultOutDir(name: string, at = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return join('reports', `${name}-${stamp}`);
}

export function cmdValidate(file: string, sets: readonly string[], o: Out): number {
  const { scenario, warnings } = loadScenario(file, { sets });
  remember(scenario);
  for (const w of warnings) o.err(`warning: ${w}`);
  if (scenario.compare) variantScenarios(scenario, readFileSync(file, 'utf8'), file, { sets });
  const l = scenario.load;
  o.out(
    `${file}: ok — ${scenario.workloads.length} workload(s) (${scenario.workloads.map((w) => `${w.name}:${w.kind}`).join(', ')}), ` +
      `${l.type}${l.type === 'concurrency' ? ` ${l.concurrency} users` : ` ${l.rps} rps`}, ${l.requests > 0 ? `${l.requests} requests` : `${l.durationMs / 1000} s`}, target ${scenario.target.embedded ? 'embedded mock' : scenario.target.url} (${scenario.target.routing} routing)` +
      (scenario.compare ? `; compares ${scenario.compare.key}: ${scenario.compare.labels.join(' / ')} in ${scenario.compare.rounds} rounds` : ''),
  );
  if (scenario.sweep) o.out(`  sweep: ${sweepText(scenario.sweep)}`);
  return ExitCode.ok;
}

function sweepText(w: NonNullable<ResolvedScenario['sweep']>): string {
  const unit = w.over === 'concurrency' ? 'streams' : 'rps';
  const what = w.mode === 'search' ? `search ${w.from}..${w.to} ${unit} to ${w.precision * 100}%` : `ladder of ${w.values.length} (${w.values.join(', ')} ${unit})`;
  return `${what}, steps of ${w.stepDurationMs / 1000} s after ${w.warmupMs / 1000} s warm-up, until ${w.until.length ? w.until.join(' and ') : 'nothing (every step passes unless the server saturates)'}`;
}

export interface RunCmdOptions {
  out?: string;
  sets?: readonly string[];
  shard?: { index: number; count: number };
  startAtEpochMs?: number;
  quiet?: boolean;
  /** Receives the handle so the caller (signal handlers, tests) can stop the run. */
  onHandle?: (h: RunHandle) => void;
  /** Use a --out folder that already holds files: the earlier run's files are removed first. */
  force?: boolean;
  /** CI outputs: JUnit XML and Markdown summary files. */
  junit?: string;
  markdown?: string;
}

export async function cmdRun(file: string, opts: RunCmdOptions, o: Out): Promise<number> {
  const { scenario, warnings } = loadScenario(file, { sets: opts.sets });
  remember(scenario);
  for (const w of warnings) o.err(`warning: ${w}`);
  if (scenario.compare) return runVariants(scenario, variantScenarios(scenario, readFileSync(file, 'utf8'), file, { sets: opts.sets }), opts, o);
  return runScenario(scenario, opts, o);
}

export async function runScenario(scenario: ResolvedScenario, opts: RunCmdOptions, o: Out): Promise<number> {
  const redactor = new Redactor([scenario.target.apiKey]);
  const dir = resolve(opts.out ?? defaultOutDir(scenario.name) + shardDirSuffix(opts.shard));
  const created = !existsSync(dir);
  const outLock = prepareOutDir(dir, { force: opts.force });
  try {
    return await runInto(dir, created, scenario, redactor, opts, o);
  } finally {
    outLock.release();
  }
}

async function runInto(dir: string, created: boolean, scenario: ResolvedScenario, redactor: Redactor, opts: RunCmdOptions, o: Out): Promise<number> {
  const sink = new NdjsonSink(join(dir, RESULTS_FILE));
  const progress = progressPrinter(o, opts.quiet);
  const watch = new AbortWatch(scenario.abortOnFail, (rs) => buildSummary(rs));
  let abortedBy: string | undefined;
  const handle: RunHandle = startRun(scenario, {
    shard: opts.shard,
    startAtEpochMs: opts.startAtEpochMs,
    onRecord: (r) => {
      if (!sink.write(r) && sink.failure) o.err(`\nwarning: ${sink.failure.message}; the run goes on and its summary is printed at the end`);
      const failed = abortedBy === undefined ? watch.observe(r) : null;
      if (failed) {
        abortedBy = `threshold '${failed.expr}' failed (${failed.message}); abortOnFail stopped the run`;
        o.err(`\n${redactor.redact(abortedBy)}`);
        handle.stop(abortedBy);
      }
    },
    onWarning: (m) => o.err(`warning: ${redactor.redact(m)}`),
    onProgress: progress.onProgress,
  });
  opts.onHandle?.(handle);
  let records: RunRecord[];
  let interrupted: boolean;
  try {
    ({ records, interrupted } = await handle.done);
  } catch (err) {
    discardIfNeverStarted(dir, created, sink);
    throw err;
  } finally {
    sink.close();
    progress.end();
  }
  const { summary, writeFailure } = finishReportKeepingSummary(records, dir, sink);
  writeCiOutputs(opts, summary, null, o);
  o.out(summaryText(summary, o.tty));
  o.out(`\nreports: ${dir}${existsSync(join(dir, 'report.html')) ? `\nopen ${join(dir, 'report.html')}` : ''}`);
  // After the summary: a full disk costs files, never the figures the run measured.
  if (writeFailure) return printError(writeFailure, false, o);
  if (abortedBy) return ExitCode.failed;
  if (interrupted) return ExitCode.interrupted;
  return exitForSummary(summary);
}

/**
 * A run that failed before its first record (the check request, the workers' start) leaves no
 * folder behind that `servebench report` would then refuse: removed if this run created it.
 */
export function discardIfNeverStarted(dir: string, created: boolean, sink: NdjsonSink): void {
  sink.close();
  if (created && sink.written === 0) rmSync(dir, { recursive: true, force: true });
}

export function exitForSummary(s: Summary): number {
  if (s.thresholds.some((t) => !t.ok)) return ExitCode.failed;
  return ExitCode.ok;
}

/** Summary + every report file from a run's records. */
export function finishReport(records: readonly RunRecord[], dir: string): Summary {
  registerDefaultWriters();
  const summary = buildSummary(records);
  writeReports(summary, dir);
  return summary;
}

/** finishReport for a run: a failed write (a full disk) is returned, not thrown, so the summary is still printed. */
export function finishReportKeepingSummary(records: readonly RunRecord[], dir: string, sink: NdjsonSink): { summary: Summary; writeFailure: ServebenchError | null } {
  registerDefaultWriters();
  const summary = buildSummary(records);
  const r = tryWriteReports(summary, dir);
  const failed = [...(sink.failure ? [sink.path] : []), ...r.failed];
  return { summary, writeFailure: failed.length ? writeError(failed, sink.failure ? sink.failureCause : r.cause) : null };
}

/** `servebench report <results-dir>`: rebuilds the report set from results.ndjson alone. */
export function cmdReport(dirOrFile: string, o: Out): number {
  const p = resolve(dirOrFile);
  const isDir = existsSync(p) && statSync(p).isDirectory();
  const file = isDir ? join(p, RESULTS_FILE) : p;
  if (!existsSync(file)) throw new ServebenchError('E_FILE', `${file} does not exist`, { hint: 'point at a run folder that holds results.ndjson' });
  const dir = isDir ? p : dirname(p);
  const summary = finishReport(readRecords(file), dir);
  o.out(summaryText(summary, o.tty));
  o.out(`\nreports rebuilt in ${dir}`);
  return exitForSummary(summary);
}

export async function cmdMock(opts: { port: number; host: string; config?: string }, o: Out): Promise<{ close(): Promise<void> }> {
  let raw: unknown = {};
  if (opts.config) {
    try {
      raw = JSON.parse(readFileSync(opts.config, 'utf8'));
    } catch (err) {
      throw new ServebenchError('E_FILE', `${opts.config}: ${(err as Error).message}`);
    }
  }
  let cfg;
  try {
    cfg = mockConfigFrom(raw);
  } catch (err) {
    throw new ServebenchError('E_USAGE', `${opts.config ? basename(opts.config) : 'mock config'}: ${(err as Error).message}`);
  }
  const m = await startMock(cfg, { port: opts.port, host: opts.host });
  o.out(`servebench mock gateway listening on ${m.url}`);
  return m;
}

/**
 * Secrets of the scenarios this process loaded: printError redacts them too, since an unexpected
 * error's message or its --verbose stack may quote anything.
 */
const knownSecrets: string[] = [];
function remember(s: ResolvedScenario): void {
  if (s.target.apiKey) knownSecrets.push(s.target.apiKey);
}

export function printError(err: unknown, verbose: boolean, raw: Out): number {
  const r = new Redactor(knownSecrets);
  const o: Out = { out: (l) => raw.out(r.redact(l)), err: (l) => raw.err(r.redact(l)), tty: raw.tty };
  if (err instanceof ServebenchError) {
    if (err.problems.length) {
      o.err(`error: ${err.message}`);
      for (const p of err.problems) o.err(`  ${formatProblem(p)}`);
    } else o.err(`error: ${err.message}`);
    if (err.hint) o.err(`hint: ${err.hint}`);
    if (verbose && err.stack) o.err(err.stack);
    return err.exitCode;
  }
  o.err(`error: ${(err as Error)?.message ?? String(err)}`);
  if (verbose && (err as Error)?.stack) o.err((err as Error).stack!);
  else o.err('(this is a bug in servebench; --verbose shows the stack)');
  return ExitCode.unreachable;
}
