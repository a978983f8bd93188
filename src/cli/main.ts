#!/usr/bin/env -S node --single-threaded-gc
/**
 * servebench's command line. The only place that prints or sets the exit code (DESIGN.md).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode, ServebenchError } from '../errors.js';
import { VERSION } from '../version.js';
import { cmdMock, cmdReport, cmdRun, cmdValidate, printError, stdio } from './commands.js';
import type { RunHandle } from '../engine/coordinator.js';
import { cmdCompare } from './compare.js';
import { cmdSweep } from './sweep.js';
import { cmdMerge } from './merge.js';

function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new ServebenchError('E_USAGE', `--shard '${v}' is not i/n with 0 <= i < n`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

function parseStartAt(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new ServebenchError('E_USAGE', `--start-at '${v}' is neither epoch ms nor an ISO time`);
  // Epoch seconds read as ms land in 1970: every shard would start at once instead of together.
  if (/^\d+$/.test(v) && n < 1e12) throw new ServebenchError('E_USAGE', `--start-at '${v}' is before 2001 in epoch ms; epoch seconds?`, { hint: `write ${v}000 (epoch ms) or an ISO time` });
  return n;
}

/** yargs makes an array of a repeated string option: one value is all a path option can take. */
function once(flag: string) {
  return (v: unknown): string | undefined => {
    if (Array.isArray(v)) throw new ServebenchError('E_USAGE', `--${flag} was given ${v.length} times (${v.map((x) => `'${x}'`).join(', ')})`, { hint: `give --${flag} once` });
    return v === undefined ? undefined : String(v);
  };
}

async function main(argv: string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  let code: number = ExitCode.ok;
  let handle: Pick<RunHandle, 'stop' | 'abort'> | null = null;
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (!handle) process.exit(ExitCode.interrupted);
    if (signals === 1) {
      stdio.err(`\n${sig}: stopping; waiting for in-flight requests (send again to stop at once)`);
      handle.stop();
    } else {
      stdio.err(`\n${sig}: stopping now`);
      handle.abort();
    }
  };
  // Only the commands that run load take the signals over: the first stops sending, the second aborts.
  const trapSignals = () => {
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  };
  try {
    await yargs(argv)
      .scriptName('servebench')
      .version(VERSION)
      .strict()
      .option('verbose', { type: 'boolean', describe: 'show stack traces for errors' })
      .command(
        'run <scenario>',
        'run a scenario and write its report set',
        (y) =>
          y
            .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file (YAML or JSON)' })
            .option('out', { type: 'string', coerce: once('out'), describe: 'report folder (default reports/<name>-<timestamp>/)' })
            .option('set', { type: 'string', array: true, describe: 'override a scenario field: --set load.rps=500' })
            .option('shard', { type: 'string', coerce: once('shard'), describe: 'run shard i of n of the plan: --shard 0/3' })
            .option('start-at', { type: 'string', coerce: once('start-at'), describe: 'start at this instant (ISO time or epoch ms), for shards' })
            .option('quiet', { type: 'boolean', describe: 'no progress lines' })
            .option('force', { type: 'boolean', describe: 'write into a --out folder that already holds a run (its files are removed first)' })
            .option('junit', { type: 'string', coerce: once('junit'), describe: 'write JUnit XML (one test case per threshold and compared metric)' })
            .option('markdown', { type: 'string', coerce: once('markdown'), describe: 'write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)' }),
        async (a) => {
          trapSignals();
          code = await cmdRun(
            a.scenario,
            { out: a.out, sets: a.set ?? [], shard: parseShard(a.shard), startAtEpochMs: parseStartAt(a['start-at']), quiet: a.quiet, onHandle: (h) => (handle = h), force: a.force, junit: a.junit, markdown: a.markdown },
            stdio,
          );
        },
      )
      .command(
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
          trapSignals();
          code = await cmdSweep(a.scenario, { out: a.out, sets: a.set ?? [], peak: a.peak, headroom: a.headroom, quiet: a.quiet, onHandle: (h) => (handle = h) }, stdio);
        },
      )
      .command(
        'validate <scenario>',
        'check a scenario; print every problem with file:line and field',
        (y) => y.positional('scenario', { type: 'string', demandOption: true }).option('set', { type: 'string', array: true }),
        (a) => {
          code = cmdValidate(a.scenario, a.set ?? [], stdio);
        },
      )
      .command(
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
          code = ExitCode.ok;
        },
      )
      .command(
        'report <results>',
        "rebuild a run's report set from its results.ndjson (also a killed run's)",
        (y) => y.positional('results', { type: 'string', demandOption: true, describe: 'run folder or results.ndjson' }),
        (a) => {
          code = cmdReport(a.results, stdio);
        },
      )
      .command(
        'merge <dirs..>',
        "merge the results of a run's shards (run --shard i/n) into one run and its report set",
        (y) =>
          y
            .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard results folders (or their results.ndjson)' })
            .option('out', { type: 'string', coerce: once('out'), describe: 'folder for the merged run (default reports/<name>-<timestamp>-merged/)' })
            .option('allow-partial', { type: 'boolean', describe: 'merge even if some shards are missing (the report says so)' })
            .option('junit', { type: 'string', coerce: once('junit'), describe: 'write JUnit XML (one test case per threshold)' })
            .option('markdown', { type: 'string', coerce: once('markdown'), describe: 'write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)' }),
        (a) => {
          code = cmdMerge(a.dirs as string[], { out: a.out, allowPartial: a['allow-partial'], junit: a.junit, markdown: a.markdown }, stdio);
        },
      )
      .command(
        'compare <baseline> <candidate>',
        'compare two runs (folders or summary.json); exits 1 on a regression',
        (y) =>
          y
            .positional('baseline', { type: 'string', demandOption: true, describe: 'run folder or its summary.json' })
            .positional('candidate', { type: 'string', demandOption: true, describe: 'run folder or its summary.json' })
            .option('out', { type: 'string', coerce: once('out'), describe: 'folder for compare.json/.csv/.html (default reports/compare-<timestamp>/)' })
            .option('tolerance', { type: 'string', coerce: once('tolerance'), describe: "change that counts, relative to the baseline, with '%' (default 10%; a bare number is refused)" })
            .option('tolerance-for', { type: 'string', array: true, describe: 'per metric.stat: --tolerance-for latency.p99=5%' })
            .option('seed', { type: 'number', describe: 'seed of the bootstrap (default 1)' })
            .option('resamples', { type: 'number', describe: 'bootstrap replicates (default 1000)' })
            .option('junit', { type: 'string', coerce: once('junit'), describe: 'write JUnit XML (one test case per compared metric)' })
            .option('markdown', { type: 'string', coerce: once('markdown'), describe: 'write a Markdown table (e.g. $GITHUB_STEP_SUMMARY)' }),
        (a) => {
          code = cmdCompare(
            a.baseline,
            a.candidate,
            { out: a.out, tolerance: a.tolerance, toleranceFor: a['tolerance-for'], seed: a.seed, resamples: a.resamples, junit: a.junit, markdown: a.markdown },
            stdio,
          );
        },
      )
      .demandCommand(1, 'name a command: run, sweep, validate, mock, report, merge or compare')
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
  return code;
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
