/**
 * `servebench run` of a scenario with a `compare:` key: runs the rounds, writes the whole run's
 * report set in the run folder, each variant's in `variants/<label>/`, and the comparison of the
 * variants (the first is the baseline) as compare.json/.csv/.html beside them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { prepareOutDir } from '../report/out-dir.js';
import { join, resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startRounds } from '../engine/rounds.js';
import type { RunRecord } from '../metrics/records.js';
import { NdjsonSink, RESULTS_FILE } from '../report/ndjson.js';
import { summaryText } from '../report/console.js';
import { compareRuns, compareText, runDataOf, writeCompareReports, type Comparison, type CompareWriter } from '../report/compare.js';
import { Redactor } from '../util/redact.js';
import { COMPARE_WRITERS } from './compare.js';
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
  const sink = new NdjsonSink(join(dir, RESULTS_FILE));
  const progress = progressPrinter(o, opts.quiet);
  const endProgressLine = () => progress.end();
  const handle = startRounds(base, variants, {
    onRecord: (r) => sink.write(r),
    onWarning: (m) => o.err(`warning: ${redactor.redact(m)}`),
    onRound: (i, v) => {
      if (opts.quiet) return;
      endProgressLine();
      o.err(`round ${i + 1}/${c.rounds}: ${c.key} = ${JSON.stringify(c.values[v])} (${c.labels[v]})`);
    },
    onProgress: progress.onProgress,
  });
  opts.onHandle?.({ stop: () => handle.stop(), abort: () => handle.abort(), done: handle.done.then((x) => ({ records: x.records, interrupted: x.interrupted })) });
  let outcome;
  try {
    outcome = await handle.done;
  } catch (err) {
    discardIfNeverStarted(dir, created, sink);
    throw err;
  } finally {
    sink.close();
    endProgressLine();
  }
  const summary = finishReport(outcome.records, dir);
  const ran = outcome.variants.map((recs) => recs.some((r) => r.type === 'start'));
  const data = outcome.variants.map((recs, v) => {
    if (!ran[v]) return null;
    const vdir = join(dir, 'variants', c.labels[v]);
    mkdirSync(vdir, { recursive: true });
    writeRecords(join(vdir, RESULTS_FILE), recs);
    return runDataOf(c.labels[v], join(vdir, 'summary.json'), finishReport(recs, vdir), recs);
  });
  let first: Comparison | null = null;
  const comparisons: Comparison[] = [];
  if (data[0]) {
    for (let v = 1; v < data.length; v++) {
      const d = data[v];
      if (!d) continue;
      const cmp = compareRuns(data[0], d, { kind: 'variants' });
      writeCompareReports({ comparison: cmp, baseline: data[0].summary, candidate: d.summary }, dir, v === 1 ? COMPARE_WRITERS : suffixed(COMPARE_WRITERS, c.labels[v]));
      comparisons.push(cmp);
      first ??= cmp;
    }
  }
  writeCiOutputs(opts, summary, first, o);
  o.out(summaryText(summary, o.tty));
  o.out(`\n${c.rounds} rounds of ${outcome.plan.roundMs / 1000} s, alternating ${c.key}: ${c.labels.join(' / ')} (baseline: ${c.labels[0]})`);
  for (const cmp of comparisons) o.out('\n' + compareText(cmp));
  if (comparisons.length === 0) o.out('\nno comparison: not every variant ran');
  o.out(`\nreports: ${dir}${existsSync(join(dir, 'compare.html')) ? `\nopen ${join(dir, 'compare.html')}` : ''}`);
  if (outcome.interrupted) return ExitCode.interrupted;
  const code = exitForSummary(summary);
  return code !== ExitCode.ok ? code : comparisons.some((x) => x.regressions > 0) ? ExitCode.failed : ExitCode.ok;
}
