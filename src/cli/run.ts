/**
 * `servebench run <scenario>`: one run into its report folder, or the rounds of a `compare:`
 * scenario (variants.ts). Returns the exit code; prints through `Out`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, ServebenchError } from '../errors.js';
import { fileErrorText } from '../util/values.js';
import { variantScenarios } from '../workload/scenario.js';
import { loadQuick, printQuick, type QuickFlags } from '../workload/one-liner.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { summaryText } from '../report/console.js';
import { Redactor } from '../util/redact.js';
import { shardDirSuffix } from '../schedule/shard.js';
import { writeCiOutputs } from './ci-outputs.js';
import { printError, rememberSecrets, type Out } from './out.js';
import { defaultOutDir, exitForSummary, progressPrinter, type RunCmdOptions } from './shared.js';
import { runCore, type RunCoreResult } from './run-core.js';
import { runVariants } from './variants.js';
import type { RunOutput } from '../report/run-output.js';
import { serveLiveMetrics } from '../live/server.js';
import { LiveDashboard } from '../dashboard/live.js';
import { requestsIgnoredWarning } from '../report/requests-file.js';

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
  const ignored = scenario.compare ? requestsIgnoredWarning(scenario, 'a compare: run') : null;
  if (ignored) o.err(`warning: ${ignored}`);
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
  const progress = progressPrinter(o, opts.quiet);
  const outputs: RunOutput[] = [progress];
  // live-metrics hook: --metrics-port serves the run's progress for Prometheus while it goes.
  const live = opts.metricsPort !== undefined ? await serveLiveMetrics(opts.metricsPort) : null;
  if (live) outputs.push({ add: (rec) => live.metrics.onRecord(rec) });
  // --dashboard: the live page, served from this thread from the run's own records.
  const dashboard = opts.dashboard ? await LiveDashboard.start(opts.dashboard) : null;
  if (dashboard) {
    o.err(`dashboard: ${dashboard.url}`);
    outputs.push(dashboard);
  }
  let r: RunCoreResult;
  try {
    r = await runCore(scenario, {
      dir: opts.out ?? defaultOutDir(scenario.name) + shardDirSuffix(opts.shard),
      force: opts.force,
      shard: opts.shard,
      startAtEpochMs: opts.startAtEpochMs,
      outputs,
      onWarning: (m) => {
        progress.stop();
        o.err(`warning: ${redactor.redact(m)}`);
      },
      onHandle: opts.onHandle,
    });
  } catch (err) {
    // A run that failed to start: nobody waits for a final report.
    await dashboard?.close();
    throw err;
  } finally {
    await live?.close();
  }
  const { summary, dir } = r;
  writeCiOutputs(opts, summary, null, o);
  o.out(summaryText(summary, o.tty));
  o.out(`\nreports: ${dir}${existsSync(join(dir, 'report.html')) ? `\nopen ${join(dir, 'report.html')}` : ''}`);
  // An open dashboard page gets the final report before the process ends (at most a few seconds).
  await dashboard?.closed();
  // After the summary: a full disk costs files, never the figures the run measured.
  if (r.writeFailure) return printError(r.writeFailure, false, o);
  if (r.abortedBy) return ExitCode.failed;
  if (r.interrupted) return ExitCode.interrupted;
  return exitForSummary(summary);
}
