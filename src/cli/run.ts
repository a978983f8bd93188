/**
 * `servebench run <scenario>`: one run into its report folder, or the rounds of a `compare:`
 * scenario (variants.ts). Returns the exit code; prints through `Out`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, ServebenchError } from '../errors.js';
import { fileErrorText } from '../util/values.js';
import { variantScenarios } from '../scenario/index.js';
import { loadQuick, printQuick, type QuickFlags } from '../scenario/one-liner.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startRun, type RunHandle } from '../engine/coordinator.js';
import { buildSummary } from '../metrics/summary.js';
import { AbortWatch } from '../metrics/thresholds.js';
import type { RunRecord } from '../metrics/records.js';
import { NdjsonSink, RESULTS_FILE } from '../report/ndjson.js';
import { prepareOutDir } from '../report/out-dir.js';
import { summaryText } from '../report/console.js';
import { Redactor } from '../util/redact.js';
import { shardDirSuffix } from '../schedule/shard.js';
import { writeCiOutputs } from './ci-outputs.js';
import { printError, rememberSecrets, type Out } from './out.js';
import { defaultOutDir, discardIfNeverStarted, exitForSummary, finishReportKeepingSummary, progressPrinter, type RunCmdOptions } from './shared.js';
import { runVariants } from './variants.js';

/** The scenario comes from a file, from `--url` and its flags, or from both (`--url` overriding `target`). */
export async function cmdRun(file: string | undefined, opts: RunCmdOptions & { flags?: QuickFlags; printScenario?: boolean }, o: Out): Promise<number> {
  const input = { file: file === undefined ? undefined : { path: file, text: readScenarioFile(file) }, flags: opts.flags ?? {}, sets: opts.sets ?? [] };
  if (opts.printScenario) {
    o.out(printQuick(input).trimEnd());
    return ExitCode.ok;
  }
  const { scenario, warnings, built } = loadQuick(input);
  rememberSecrets(scenario);
  for (const w of warnings) o.err(`warning: ${w}`);
  if (scenario.compare) return runVariants(scenario, variantScenarios(scenario, built.text, built.file, { sets: built.sets }), opts, o);
  return runScenario(scenario, opts, o);
}

function readScenarioFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServebenchError('E_FILE', `cannot read scenario ${file}: ${fileErrorText(e)}`, { cause: e });
  }
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
