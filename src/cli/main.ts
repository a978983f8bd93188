#!/usr/bin/env -S node --single-threaded-gc
/**
 * servebench's command line. The only place that prints or sets the exit code (DESIGN.md).
 * Each command's options are declared in its own function below; its work is in cli/<command>.ts.
 */
import { REQUESTS_SET } from '../report/requests-file.js';
import { parseDashboardAddress } from '../dashboard/live.js';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode, ServebenchError } from '../errors.js';
import { VERSION } from '../version.js';
import type { RunHandle } from '../engine/coordinator.js';
import { printError, stdio } from './out.js';
import { ciOptions, once, parseShard, parseStartAt, quickFlags, quickRunOptions } from './options.js';
import { cmdRun } from './run.js';
import { cmdValidate } from './validate.js';
import { cmdMock } from './mock.js';
import { cmdReport } from './report.js';
import { cmdCompare } from './compare.js';
import { cmdSweep } from './sweep.js';
import { cmdMerge } from './merge.js';
import { parseMetricsPort } from '../live/server.js';
import { cmdSchema } from './schema.js';

/** What a command's handler hands back to main: its exit code, and the run the signals stop. */
interface Session {
  code: number;
  handle: Pick<RunHandle, 'stop' | 'abort'> | null;
  /** Only the commands that run load take the signals over: the first stops sending, the second aborts. */
  trapSignals(): void;
}

function newSession(): Session {
  let signals = 0;
  const s: Session = {
    code: ExitCode.ok,
    handle: null,
    trapSignals() {
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
    },
  };
  const onSignal = (sig: string) => {
    signals++;
    if (!s.handle) process.exit(ExitCode.interrupted);
    if (signals === 1) {
      stdio.err(`\n${sig}: stopping; waiting for in-flight requests (send again to stop at once)`);
      s.handle.stop();
    } else {
      stdio.err(`\n${sig}: stopping now`);
      s.handle.abort();
    }
  };
  return s;
}

function runCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'run [scenario]',
    'run a scenario (a file, or --url with flags) and write its report set',
    (y) =>
      ciOptions(
        quickRunOptions(y)
          .positional('scenario', { type: 'string', describe: 'scenario file (YAML or JSON); optional with --url' })
          .option('out', { type: 'string', coerce: once('out'), describe: 'report folder (default reports/<name>-<timestamp>/)' })
          .option('set', { type: 'string', array: true, describe: 'override a scenario field: --set load.rps=500' })
          .option('shard', { type: 'string', coerce: once('shard'), describe: 'run shard i of n of the plan: --shard 0/3' })
          .option('start-at', { type: 'string', coerce: once('start-at'), describe: 'start at this instant (ISO time or epoch ms), for shards' })
          .option('quiet', { type: 'boolean', describe: 'no progress lines' })
          .option('force', { type: 'boolean', describe: 'write into a --out folder that already holds a run (its files are removed first)' })
          .option('requests', { type: 'boolean', describe: 'write every request to requests.csv.gz in the report folder (same as output.requests: true)' })
          .option('metrics-port', { type: 'string', coerce: once('metrics-port'), describe: "serve servebench's live metrics for Prometheus on this port at /metrics (e.g. 9464)" })
          .option('dashboard', { type: 'string', coerce: once('dashboard'), describe: 'serve a live view of the run in the browser on host:port (default 127.0.0.1:5665; :0 takes any free port)' }),
        'threshold and compared metric',
        'summary',
      ),
    async (a) => {
      const flags = quickFlags(a);
      if (a.scenario === undefined && flags.url === undefined) {
        throw new ServebenchError('E_USAGE', 'run needs a scenario file or --url', { hint: 'servebench run scenarios/quickstart.yaml, or servebench run --url https://<gateway>/v1/<project>/<deployment>/v1/models/<model>:predict --rps 10 --body JSON' });
      }
      s.trapSignals();
      s.code = await cmdRun(
        a.scenario,
        { flags, printScenario: a['print-scenario'], out: a.out, sets: [...(a.requests ? [REQUESTS_SET] : []), ...(a.set ?? [])], shard: parseShard(a.shard), startAtEpochMs: parseStartAt(a['start-at']), quiet: a.quiet, onHandle: (h) => (s.handle = h), force: a.force, junit: a.junit, markdown: a.markdown, metricsPort: parseMetricsPort(a['metrics-port']), dashboard: parseDashboardAddress(a.dashboard) },
        stdio,
      );
    },
  );
}

function sweepCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'sweep <scenario>',
    "capacity planning: run the scenario's sweep (ladder or search) and report the largest rate within SLO",
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file with a sweep: section' })
        .option('out', { type: 'string', coerce: once('out'), describe: 'report folder (default reports/<name>-sweep-<timestamp>/)' })
        .option('set', { type: 'string', array: true, describe: 'override a scenario field: --set sweep.to=2000' })
        .option('peak', { type: 'number', describe: 'peak rate to plan replicas for (rps)' })
        .option('headroom', { type: 'string', coerce: once('headroom'), describe: 'share of each replica kept spare, with % (default 30%)' })
        .option('quiet', { type: 'boolean', describe: 'no per-step progress lines' }),
    async (a) => {
      s.trapSignals();
      s.code = await cmdSweep(a.scenario, { out: a.out, sets: a.set ?? [], peak: a.peak, headroom: a.headroom, quiet: a.quiet, onHandle: (h) => (s.handle = h) }, stdio);
    },
  );
}

function validateCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'validate <scenario>',
    'check a scenario; print every problem with file:line and field',
    (y) => y.positional('scenario', { type: 'string', demandOption: true }).option('set', { type: 'string', array: true }),
    (a) => {
      s.code = cmdValidate(a.scenario, a.set ?? [], stdio);
    },
  );
}

function mockCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'mock',
    'start the built-in mock gateway (KServe + vLLM behind an Istio-like gateway)',
    (y) =>
      y
        .option('port', { type: 'number', default: 8080 })
        .option('host', { type: 'string', default: '127.0.0.1' })
        .option('config', { type: 'string', coerce: once('config'), describe: 'JSON file with mock options' }),
    async (a) => {
      const m = await cmdMock({ port: a.port, host: a.host, config: a.config }, stdio);
      await new Promise<void>((res) => {
        const stop = () => res();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await m.close();
      s.code = ExitCode.ok;
    },
  );
}

function reportCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'report <results>',
    "rebuild a run's report set from its results.ndjson (also a killed run's)",
    (y) => y.positional('results', { type: 'string', demandOption: true, describe: 'run folder or results.ndjson' }),
    (a) => {
      s.code = cmdReport(a.results, stdio);
    },
  );
}

function mergeCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'merge <dirs..>',
    "merge the results of a run's shards (run --shard i/n) into one run and its report set",
    (y) =>
      ciOptions(
        y
          .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard results folders (or their results.ndjson)' })
          .option('out', { type: 'string', coerce: once('out'), describe: 'folder for the merged run (default reports/<name>-<timestamp>-merged/)' })
          .option('allow-partial', { type: 'boolean', describe: 'merge even if some shards are missing (the report says so)' }),
        'threshold',
        'summary',
      ),
    (a) => {
      s.code = cmdMerge(a.dirs as string[], { out: a.out, allowPartial: a['allow-partial'], junit: a.junit, markdown: a.markdown }, stdio);
    },
  );
}

function compareCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'compare <baseline> <candidate>',
    'compare two runs (folders or summary.json); exits 1 on a regression',
    (y) =>
      ciOptions(
        y
          .positional('baseline', { type: 'string', demandOption: true, describe: 'run folder or its summary.json' })
          .positional('candidate', { type: 'string', demandOption: true, describe: 'run folder or its summary.json' })
          .option('out', { type: 'string', coerce: once('out'), describe: 'folder for compare.json/.csv/.html (default reports/compare-<timestamp>/)' })
          .option('tolerance', { type: 'string', coerce: once('tolerance'), describe: "change that counts, relative to the baseline, with '%' (default 10%; a bare number is refused)" })
          .option('tolerance-for', { type: 'string', array: true, describe: 'per metric.stat: --tolerance-for latency.p99=5%' })
          .option('seed', { type: 'number', describe: 'seed of the bootstrap (default 1)' })
          .option('resamples', { type: 'number', describe: 'bootstrap replicates (default 1000)' }),
        'compared metric',
        'table',
      ),
    (a) => {
      s.code = cmdCompare(
        a.baseline,
        a.candidate,
        { out: a.out, tolerance: a.tolerance, toleranceFor: a['tolerance-for'], seed: a.seed, resamples: a.resamples, junit: a.junit, markdown: a.markdown },
        stdio,
      );
    },
  );
}

function schemaCommand<T>(y: Argv<T>, s: Session): Argv<T> {
  return y.command(
    'schema',
    'print the scenario JSON Schema (for editors: # yaml-language-server: $schema=…)',
    (y) => y,
    () => {
      s.code = cmdSchema(stdio);
    },
  );
}

const COMMANDS = [runCommand, sweepCommand, validateCommand, mockCommand, reportCommand, mergeCommand, compareCommand, schemaCommand];

async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const s = newSession();
  try {
    let y = yargs(argv).scriptName('servebench').version(VERSION).strict().option('verbose', { type: 'boolean', describe: 'show stack traces for errors' });
    for (const add of COMMANDS) y = add(y, s);
    await y
      .demandCommand(1, 'name a command: run, sweep, validate, mock, report, merge, compare or schema')
      .fail((msg, err) => {
        // yargs rethrows an option's coerce error as its own YError: that is bad usage too.
        if (err?.name === 'YError') throw new ServebenchError('E_USAGE', err.message, { hint: 'servebench --help lists the options' });
        if (err) throw err;
        throw new ServebenchError('E_USAGE', msg, { hint: 'servebench --help lists the commands' });
      })
      .help()
      .parseAsync();
  } catch (err) {
    return printError(err, verbose, stdio);
  }
  return s.code;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
    // Workers and sockets are closed by now; exit promptly even if a library left a timer behind.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err) => {
    process.exitCode = printError(err, true, stdio);
  },
);
