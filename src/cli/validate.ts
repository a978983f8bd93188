/**
 * `servebench validate <scenario>`: checks a scenario (and its variants) and prints what it would
 * run. Every problem is thrown as a ServebenchError naming file, line and field.
 */
import { readFileSync } from 'node:fs';
import { ExitCode } from '../errors.js';
import { loadScenario, variantScenarios } from '../workload/scenario.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { rememberSecrets, type Out } from './out.js';

export function cmdValidate(file: string, sets: readonly string[], o: Out): number {
  const { scenario, warnings } = loadScenario(file, { sets });
  rememberSecrets(scenario);
  for (const w of warnings) o.err(`warning: ${w}`);
  if (scenario.compare) variantScenarios(scenario, readFileSync(file, 'utf8'), file, { sets });
  const l = scenario.load;
  o.out(
    `${file}: ok — ${scenario.workloads.length} workload(s) (${scenario.workloads.map((w) => `${w.name}:${w.kind}`).join(', ')}), ` +
      `${l.type}${l.type === 'concurrency' ? ` ${l.concurrency} users` : l.trace ? ` ${l.trace.shown} (${l.trace.format}, ${l.trace.records} requests, ${Math.round(l.rps * 100) / 100} rps at speed ${l.trace.speed})` : ` ${l.rps} rps`}, ${l.requests > 0 ? `${l.requests} requests` : `${l.durationMs / 1000} s`}, target ${scenario.target.embedded ? 'embedded mock' : scenario.target.url} (${scenario.target.routing} routing)` +
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
