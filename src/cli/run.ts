/**
 * `servebench run <scenario>`: one run into its report folder, or the rounds of a `compare:`
 * scenario (variants.ts). Returns the exit code; prints through `Out`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import { loadScenario, variantScenarios } from '../workload/scenario.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startRun, type RunHandle } from '../engine/coordinator.js';
import { AbortWatch } from '../metrics/abort-watch.js';
import type { RunRecord } from '../metrics/records.js';
import { AbortOnFail, ResultsFile, engineHooks, startOutputs, stopOutputs, type RunOutput } from '../report/run-output.js';
import { RESULTS_FILE } from '../metrics/results-file.js';
import { prepareOutDir } from '../report/out-dir.js';
import { summaryText } from '../report/console.js';
import { Redactor } from '../util/redact.js';
import { shardDirSuffix } from '../schedule/shard.js';
import { writeCiOutputs } from './ci-outputs.js';
import { printError, rememberSecrets, type Out } from './out.js';
import { defaultOutDir, discardIfNeverStarted, exitForSummary, finishReportKeepingSummary, progressPrinter, type RunCmdOptions } from './shared.js';
import { runVariants } from './variants.js';
import { serveLiveMetrics } from '../live/server.js';
import { LiveDashboard } from '../dashboard/live.js';

export async function cmdRun(file: string, opts: RunCmdOptions, o: Out): Promise<number> {
  const { scenario, warnings } = loadScenario(file, { sets: opts.sets });
  rememberSecrets(scenario);
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
  const results = new ResultsFile(join(dir, RESULTS_FILE), (m) => o.err(`\nwarning: ${m}; the run goes on and its summary is printed at the end`));
  let handle: RunHandle | undefined;
  const abort = new AbortOnFail(new AbortWatch(scenario.abortOnFail), (reason) => {
    o.err(`\n${redactor.redact(reason)}`);
    handle?.stop(reason);
  });
  // live-metrics hook: --metrics-port serves the run's progress for Prometheus while it goes.
  const live = opts.metricsPort !== undefined ? await serveLiveMetrics(opts.metricsPort) : null;
  const outputs: RunOutput[] = [results, abort, progressPrinter(o, opts.quiet)];
  if (live) outputs.push({ add: (r) => live.metrics.onRecord(r) });
  // --dashboard: the live page, served from this thread from the run's own records.
  const dashboard = opts.dashboard ? await LiveDashboard.start(opts.dashboard) : null;
  if (dashboard) {
    o.err(`dashboard: ${dashboard.url}`);
    outputs.push(dashboard);
  }
  startOutputs(outputs);
  handle = startRun(scenario, {
    shard: opts.shard,
    startAtEpochMs: opts.startAtEpochMs,
    ...engineHooks(outputs),
    onWarning: (m) => o.err(`warning: ${redactor.redact(m)}`),
  });
  opts.onHandle?.(handle);
  let records: RunRecord[];
  let interrupted: boolean;
  try {
    ({ records, interrupted } = await handle.done);
  } catch (err) {
    discardIfNeverStarted(dir, created, results.sink);
    throw err;
  } finally {
    stopOutputs(outputs);
    await live?.close();
  }
  const { summary, writeFailure } = finishReportKeepingSummary(records, dir, results.sink);
  writeCiOutputs(opts, summary, null, o);
  o.out(summaryText(summary, o.tty));
  o.out(`\nreports: ${dir}${existsSync(join(dir, 'report.html')) ? `\nopen ${join(dir, 'report.html')}` : ''}`);
  // An open dashboard page gets the final report before the process ends (at most a few seconds).
  await dashboard?.closed();
  // After the summary: a full disk costs files, never the figures the run measured.
  if (writeFailure) return printError(writeFailure, false, o);
  if (abort.reason) return ExitCode.failed;
  if (interrupted) return ExitCode.interrupted;
  return exitForSummary(summary);
}
