/**
 * `servebench run` of a scenario with a `compare:` key: runs the rounds, writes the whole run's
 * report set in the run folder, each variant's in `variants/<label>/`, and the comparison of the
 * variants (the first is the baseline) as compare.json/.csv/.html beside them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareVariants } from '../compare/core.js';
import { runDataOf } from '../compare/load.js';
import { startRounds, type RoundsOutcome } from '../compare/rounds.js';
import type { Comparison } from '../compare/types.js';
import { ExitCode } from '../errors.js';
import type { RunRecord } from '../metrics/records.js';
import { RESULTS_FILE } from '../metrics/results-file.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { compareText, type CompareWriter } from '../report/compare.js';
import { summaryText } from '../report/console.js';
import { COMPARE_WRITERS } from '../report/index.js';
import { NdjsonSink } from '../report/ndjson.js';
import { prepareOutDir } from '../report/out-dir.js';
import { ResultsFile, engineHooks, startOutputs, stopOutputs } from '../report/run-output.js';
import { writeAll } from '../report/writer.js';
import { Redactor } from '../util/redact.js';
import { writeCiOutputs } from './ci-outputs.js';
import type { Out } from './out.js';
import { defaultOutDir, discardIfNeverStarted, exitForSummary, finishReport, progressPrinter, type RunCmdOptions } from './shared.js';

function writeRecords(path: string, records: readonly RunRecord[]): void {
  const sink = new NdjsonSink(path);
  try {
    for (const r of records) sink.write(r);
  } finally {
    sink.close();
  }
}

/** For a third variant and more: compare-<label>.json etc., each against the first variant. */
function suffixed(ws: readonly CompareWriter[], label: string): CompareWriter[] {
  return ws.map((w) => ({ ...w, file: w.file.replace(/^compare\./, `compare-${label}.`) }));
}

export async function runVariants(base: ResolvedScenario, variants: readonly ResolvedScenario[], opts: RunCmdOptions, o: Out): Promise<number> {
  if (base.abortOnFail.length > 0) o.err('warning: abortOnFail does not stop a compare run (rounds alternate variants); the thresholds are still evaluated at the end');
  const redactor = new Redactor(variants.map((v) => v.target.apiKey));
  const dir = resolve(opts.out ?? defaultOutDir(base.name));
  const created = !existsSync(dir);
  const outLock = prepareOutDir(dir, { force: opts.force });
  try {
    return await runVariantsInto(dir, created, base, variants, redactor, opts, o);
  } finally {
    outLock.release();
  }
}

async function runVariantsInto(dir: string, created: boolean, base: ResolvedScenario, variants: readonly ResolvedScenario[], redactor: Redactor, opts: RunCmdOptions, o: Out): Promise<number> {
  const c = base.compare!;
  const outcome = await runRounds(dir, created, base, variants, redactor, opts, o);
  const summary = finishReport(outcome.records, dir);
  const comparisons = writeVariantReports(dir, base, outcome);
  writeCiOutputs(opts, summary, comparisons[0] ?? null, o);
  o.out(summaryText(summary, o.tty));
  o.out(`\n${c.rounds} rounds of ${outcome.plan.roundMs / 1000} s, alternating ${c.key}: ${c.labels.join(' / ')} (baseline: ${c.labels[0]})`);
  for (const cmp of comparisons) o.out('\n' + compareText(cmp));
  if (comparisons.length === 0) o.out('\nno comparison: not every variant ran');
  o.out(`\nreports: ${dir}${existsSync(join(dir, 'compare.html')) ? `\nopen ${join(dir, 'compare.html')}` : ''}`);
  if (outcome.interrupted) return ExitCode.interrupted;
  const code = exitForSummary(summary);
  return code !== ExitCode.ok ? code : comparisons.some((x) => x.regressions > 0) ? ExitCode.failed : ExitCode.ok;
}

/** The rounds, with the whole run's records in results.ndjson and the progress line as they come. */
async function runRounds(dir: string, created: boolean, base: ResolvedScenario, variants: readonly ResolvedScenario[], redactor: Redactor, opts: RunCmdOptions, o: Out): Promise<RoundsOutcome> {
  const c = base.compare!;
  const results = new ResultsFile(join(dir, RESULTS_FILE));
  const progress = progressPrinter(o, opts.quiet);
  const outputs = [results, progress];
  startOutputs(outputs);
  const handle = startRounds(base, variants, {
    ...engineHooks(outputs),
    onWarning: (m) => o.err(`warning: ${redactor.redact(m)}`),
    onRound: (i, v) => {
      if (opts.quiet) return;
      progress.stop();
      o.err(`round ${i + 1}/${c.rounds}: ${c.key} = ${JSON.stringify(c.values[v])} (${c.labels[v]})`);
    },
  });
  opts.onHandle?.({ stop: () => handle.stop(), abort: () => handle.abort(), done: handle.done.then((x) => ({ records: x.records, interrupted: x.interrupted })) });
  try {
    return await handle.done;
  } catch (err) {
    discardIfNeverStarted(dir, created, results.sink);
    throw err;
  } finally {
    stopOutputs(outputs);
  }
}

/**
 * Each variant's report set in variants/<label>/, and the comparisons against the first variant
 * beside the whole run's reports (compare.*, then compare-<label>.* for a third variant and more).
 */
function writeVariantReports(dir: string, base: ResolvedScenario, outcome: RoundsOutcome): Comparison[] {
  const c = base.compare!;
  const data = outcome.variants.map((recs, v) => {
    if (!recs.some((r) => r.type === 'start')) return null;
    const vdir = join(dir, 'variants', c.labels[v]);
    mkdirSync(vdir, { recursive: true });
    writeRecords(join(vdir, RESULTS_FILE), recs);
    return runDataOf(c.labels[v], join(vdir, 'summary.json'), finishReport(recs, vdir), recs);
  });
  return compareVariants(data).map(({ variant, comparison }) => {
    const writers = variant === 1 ? COMPARE_WRITERS : suffixed(COMPARE_WRITERS, c.labels[variant]);
    writeAll({ comparison, baseline: data[0]!.summary, candidate: data[variant]!.summary }, dir, writers);
    return comparison;
  });
}
