/**
 * Runs a sweep: every step is `servebench run`'s own path (startRun, then buildSummary) on the
 * scenario with load.rps (or load.concurrency), duration and warm-up set for the step. Each finished
 * step is appended to steps.ndjson at once, so an interrupted sweep keeps what it finished.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { makeDirs } from '../report/out-dir.js';
import { join } from 'node:path';
import { ServebenchError } from '../errors.js';
import { startRun, type RunHandle } from '../engine/coordinator.js';
import type { IntervalRecord } from '../metrics/records.js';
import { buildSummary } from '../metrics/summary.js';
import type { ResolvedScenario, ResolvedSweep } from '../scenario/types.js';
import { evaluateThresholds } from './conditions.js';
import { answerOf, driveLadder, driveSearch, planReplicas, stepFrom, stepWindows, type PlanningNote, type SweepAnswer, type SweepStep, type SweepUnit } from './core.js';

export const STEPS_FILE = 'steps.ndjson';

export interface SweepResult {
  schemaVersion: 1;
  scenario: { name: string; file: string };
  target: { url: string; routing: string; deployment: string };
  sweep: ResolvedSweep;
  startedAt: string;
  /** Wall time of the whole sweep. */
  elapsedS: number;
  interrupted: boolean;
  /** Generative workloads present: the report adds ttft/tpot/tokens charts. */
  generative: boolean;
  answer: SweepAnswer;
  planning: PlanningNote | null;
  steps: SweepStep[];
}

export interface SweepOptions {
  /** Folder for steps.ndjson (the caller writes the reports). */
  dir: string;
  peakRps?: number;
  /** Share of each replica's maximum kept spare (0.3 = 30 %). */
  headroom?: number;
  onStep?: (s: SweepStep) => void;
  onStepStart?: (value: number, unit: SweepUnit, attempt: number) => void;
  onWarning?: (msg: string) => void;
}

export interface SweepHandle {
  /** Stops the step running now (it is not kept) and finishes with the steps done so far. */
  stop(): void;
  /** As stop(), without the grace period for the step's in-flight requests. */
  abort(): void;
  readonly done: Promise<SweepResult>;
}

/** Windows of about a fifth of a step (200 ms..1 s): enough of them to judge growth and stability. */
export function windowMsFor(stepDurationMs: number): number {
  return Math.min(1000, Math.max(200, Math.round(stepDurationMs / 5 / 100) * 100));
}

/** The scenario one step runs: the sweep's value, duration and warm-up; no thresholds of its own. */
export function stepScenario(s: ResolvedScenario, sweep: ResolvedSweep, value: number): ResolvedScenario {
  const l = s.load;
  const closed = sweep.over === 'concurrency';
  return {
    ...s,
    load: {
      ...l,
      type: closed ? 'concurrency' : l.type === 'poisson' ? 'poisson' : 'constant',
      rps: closed ? 0 : value,
      concurrency: closed ? value : 0,
      durationMs: sweep.stepDurationMs,
      warmupMs: sweep.warmupMs,
      requests: 0,
      stages: [],
    },
    thresholds: [],
    abortOnFail: [],
  };
}

export function startSweep(scenario: ResolvedScenario, opts: SweepOptions): SweepHandle {
  const sweep = scenario.sweep;
  if (!sweep) throw new ServebenchError('E_SCENARIO', `${scenario.file || 'the scenario'} has no 'sweep:' section`, { hint: "add sweep: { mode: search, from: 50, to: 1000, until: ['latency.p99 < 50ms'] }" });
  let current: RunHandle | null = null;
  let stopped = false;
  const unit: SweepUnit = sweep.over === 'concurrency' ? 'concurrency' : 'rps';
  const windowMs = windowMsFor(sweep.stepDurationMs);
  const measuredWindows = Math.round(sweep.stepDurationMs / windowMs);
  makeDirs(opts.dir);
  const stepsPath = join(opts.dir, STEPS_FILE);
  writeFileSync(stepsPath, '');

  const done = (async (): Promise<SweepResult> => {
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    const steps: SweepStep[] = [];
    let baselineErrorRate: number | null = null;
    const measure = async (value: number, attempt: number): Promise<SweepStep | null> => {
      if (stopped) return null;
      opts.onStepStart?.(value, unit, attempt);
      // A closed-loop step starts every stream at once: if its first measured windows sent nothing,
      // it never will (an engine without the concurrency load type has an empty plan). Stop it
      // rather than wait.
      let windows = 0;
      let sent = 0;
      let silent = false;
      const workers = scenario.load.workers;
      const run = startRun(stepScenario(scenario, sweep, value), {
        intervalMs: windowMs,
        onWarning: opts.onWarning,
        onRecord: (r) => {
          if (r.type !== 'interval') return;
          windows++;
          for (const w of r.workloads) sent += w.sent + w.dropped;
          if (unit === 'concurrency' && !silent && sent === 0 && windows >= 2 * workers) {
            silent = true;
            run.abort();
          }
        },
      });
      current = run;
      let outcome: Awaited<typeof run.done>;
      try {
        outcome = await run.done;
      } catch (e) {
        // Stopped during the step's check request: the sweep keeps the steps it finished.
        if (stopped && e instanceof ServebenchError && e.code === 'E_INTERRUPTED') return null;
        throw e;
      } finally {
        current = null;
      }
      const { records, interrupted } = outcome;
      if (stopped) return null;
      const summary = buildSummary(records);
      if (silent || summary.totals.scheduled === 0) {
        throw new ServebenchError(
          'E_USAGE',
          `the step at ${value} ${unit} sent no request`,
          unit === 'concurrency' ? { hint: "a closed-loop step starts every stream at once; check load.maxInFlight and that this build runs load.type 'concurrency'" } : {},
        );
      }
      if (interrupted) return null;
      let inFlight = 0;
      let n = 0;
      for (const r of records) {
        if (r.type !== 'interval' || r.index >= measuredWindows) continue;
        for (const w of (r as IntervalRecord).workloads) inFlight += w.inFlight;
        n++;
      }
      const previous = [...steps].reverse().find((p) => p.value < value) ?? null;
      const step = stepFrom({
        index: steps.length,
        value,
        unit,
        attempts: attempt,
        summary,
        windows: stepWindows(records, measuredWindows),
        meanInFlight: n ? (inFlight / n) * summary.load.workers : 0,
        conditions: evaluateThresholds(summary, sweep.until),
        stability: sweep.stability,
        baselineErrorRate,
        previous,
      });
      baselineErrorRate ??= step.errorRate;
      return step;
    };
    const onStep = (step: SweepStep) => {
      steps.push(step);
      appendFileSync(stepsPath, JSON.stringify(step) + '\n');
      opts.onStep?.(step);
    };
    const outcome = sweep.mode === 'search' ? await driveSearch(sweep, measure, onStep) : await driveLadder(sweep, measure, onStep);
    const answer = answerOf(steps, unit, sweep.to);
    const planning =
      opts.peakRps !== undefined && answer.maxAchievedRps !== null ? planReplicas(answer.maxAchievedRps, opts.peakRps, opts.headroom ?? 0) : null;
    const t = scenario.target;
    return {
      schemaVersion: 1,
      scenario: { name: scenario.name, file: scenario.file },
      target: { url: t.embedded ? 'embedded' : t.url, routing: t.routing, deployment: t.deployment },
      sweep,
      startedAt,
      elapsedS: Math.round(performance.now() - t0) / 1000,
      interrupted: stopped || outcome.interrupted,
      generative: scenario.workloads.some((w) => w.kind === 'chat' || w.kind === 'completion'),
      answer,
      planning,
      steps,
    };
  })();

  return {
    stop() {
      stopped = true;
      current?.stop();
    },
    abort() {
      stopped = true;
      current?.abort();
    },
    done,
  };
}
