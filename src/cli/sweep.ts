/**
 * `servebench sweep <scenario>`: capacity planning. Runs the scenario's `sweep:` (ladder or
 * search), prints a line per finished step, writes sweep.json / sweep.csv / sweep.html beside
 * steps.ndjson, and the planning note for `--peak` and `--headroom`.
 */
import { requestsIgnoredWarning } from '../report/requests-file.js';
import { resolve } from 'node:path';
import { ExitCode, ServebenchError } from '../errors.js';
import { loadScenario } from '../workload/scenario.js';
import { startSweep, type SweepHandle } from '../sweep/run.js';
import { writeSweepReports } from '../sweep/report.js';
import type { SweepStep } from '../sweep/core.js';
import { Redactor } from '../util/redact.js';
import { requirePercent } from '../util/percent.js';
import type { Out } from './out.js';
import { defaultOutDir } from './shared.js';

export interface SweepCmdOptions {
  out?: string;
  sets?: readonly string[];
  /** Target peak rate for the planning note (rps). */
  peak?: number;
  /** `30%`. */
  headroom?: string | number;
  quiet?: boolean;
  onHandle?: (h: SweepHandle) => void;
}

/** `30%` → 0.3; a bare number is refused like every share on the command line (util/percent.ts). */
export function parseHeadroom(v: string | number | undefined): number {
  if (v === undefined) return 0.3;
  const n = requirePercent(String(v), '--headroom');
  if (!(n < 1)) throw new ServebenchError('E_USAGE', `--headroom '${v}' is not a percentage from 0% to 99%`, { hint: 'e.g. --headroom 30%' });
  return n;
}

export function stepLine(s: SweepStep): string {
  const lat = s.latencyMs ? `p50 ${s.latencyMs.p50} p99 ${s.latencyMs.p99} ms` : 'no latency';
  const ttft = s.ttftMs ? `, ttft p95 ${s.ttftMs.p95} ms` : '';
  const verdict = s.pass ? 'pass' : s.saturation.length ? `saturated (${s.saturation.join('; ')})` : `fail (${s.conditions.filter((c) => !c.ok).map((c) => `${c.expr}: ${c.value ?? c.message}`).join('; ')})`;
  const unit = s.unit === 'rps' ? 'rps' : 'streams';
  return `step ${s.index + 1}: ${s.value} ${unit} → ${s.throughputRps} rps completed, ${lat}${ttft}, errors ${Math.round(s.errorRate * 10000) / 100}%${s.attempts > 1 ? `, ${s.attempts} attempts` : ''}${s.stable ? '' : ', unstable'}${s.generatorSaturated ? ', generator saturated' : ''}: ${verdict}`;
}

export async function cmdSweep(file: string, opts: SweepCmdOptions, o: Out): Promise<number> {
  const { scenario, warnings } = loadScenario(file, { sets: opts.sets });
  for (const w of warnings) o.err(`warning: ${w}`);
  const ignored = requestsIgnoredWarning(scenario, 'sweep');
  if (ignored) o.err(`warning: ${ignored}`);
  if (!scenario.sweep) {
    throw new ServebenchError('E_USAGE', `${file} has no 'sweep:' section`, {
      hint: `add e.g. sweep: { mode: search, from: 50, to: 1000, stepDuration: 5s, until: ["latency.p99 < 50ms", "errors.rate < 1%"] }`,
    });
  }
  if (opts.peak !== undefined && !(opts.peak > 0)) throw new ServebenchError('E_USAGE', `--peak '${opts.peak}' is not a rate > 0`);
  const headroom = parseHeadroom(opts.headroom);
  const redactor = new Redactor([scenario.target.apiKey]);
  const dir = resolve(opts.out ?? defaultOutDir(`${scenario.name}-sweep`));
  const handle = startSweep(scenario, {
    dir,
    peakRps: opts.peak,
    headroom,
    onWarning: (m) => o.err(`warning: ${redactor.redact(m)}`),
    onStepStart: opts.quiet ? undefined : (v, unit, attempt) => o.err(`running ${v} ${unit === 'rps' ? 'rps' : 'streams'}${attempt > 1 ? ` again (attempt ${attempt}: the last windows disagreed)` : ''}…`),
    onStep: (s) => o.err(stepLine(s)),
  });
  opts.onHandle?.(handle);
  const result = await handle.done;
  writeSweepReports(result, dir);
  o.out(`\n${scenario.name}: ${result.answer.sentence}`);
  if (result.planning) o.out(`planning: ${result.planning.text}`);
  o.out(`\nreports: ${dir}\nopen ${resolve(dir, 'sweep.html')}`);
  if (result.interrupted) return ExitCode.interrupted;
  return result.answer.maxRate === null ? ExitCode.failed : ExitCode.ok;
}
