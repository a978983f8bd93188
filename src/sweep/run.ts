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
import type { IntervalRecord, RunRecord } from '../metrics/records.js';
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

/** The sweep's state shared by its steps: the run in progress and whether the sweep was stopped. */
interface SweepState {
  current: RunHandle | null;
  stopped: boolean;
}

/**
 * One step's run. A closed-loop step starts every stream at once: if its first measured windows
 * sent nothing, it never will (an engine without the concurrency load type has an empty plan), so
 * it is stopped rather than waited for (`silent`). Null when the sweep was stopped during it.
 */
async function runStep(scenario: ResolvedScenario, sweep: ResolvedSweep, value: number, unit: SweepUnit, windowMs: number, opts: SweepOptions, state: SweepState): Promise<{ records: RunRecord[]; interrupted: boolean; silent: boolean } | null> {
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
  state.current = run;
  try {
    const { records, interrupted } = await run.done;
    return state.stopped ? null : { records, interrupted, silent };
  } catch (e) {
    // Stopped during the step's check request: the sweep keeps the steps it finished.
    if (state.stopped && e instanceof ServebenchError && e.code === 'E_INTERRUPTED') return null;
    throw e;
  } finally {
    state.current = null;
  }
}

/** Requests in flight over the measured windows, on average across the run's workers. */
function meanInFlight(records: readonly RunRecord[], measuredWindows: number, workers: number): number {
  let inFlight = 0;
  let n = 0;
  for (const r of records) {
    if (r.type !== 'interval' || r.index >= measuredWindows) continue;
    for (const w of (r as IntervalRecord).workloads) inFlight += w.inFlight;
    n++;
  }
  return n ? (inFlight / n) * workers : 0;
}

export function startSweep(scenario: ResolvedScenario, opts: SweepOptions): SweepHandle {
  const sweep = scenario.sweep;
  if (!sweep) throw new ServebenchError('E_SCENARIO', `${scenario.file || 'the scenario'} has no 'sweep:' section`, { hint: "add sweep: { mode: search, from: 50, to: 1000, until: ['latency.p99 < 50ms'] }" });
  const state: SweepState = { current: null, stopped: false };
  const unit: SweepUnit = sweep.over === 'concurrency' ? 'concurrency' : 'rps';
  const windowMs = windowMsFor(sweep.stepDurationMs);
  const measuredWindows = Math.round(sweep.stepDurationMs / windowMs);
  makeDirs(opts.dir);
  const stepsPath = join(opts.dir, STEPS_FILE);
  writeFileSync(stepsPath, '');
  const steps: SweepStep[] = [];
  let baselineErrorRate: number | null = null;

  const measure = async (value: number, attempt: number): Promise<SweepStep | null> => {
    if (state.stopped) return null;
    opts.onStepStart?.(value, unit, attempt);
    const ran = await runStep(scenario, sweep, value, unit, windowMs, opts, state);
    if (!ran) return null;
    const { records, interrupted, silent } = ran;
    const summary = buildSummary(records);
    if (silent || summary.totals.scheduled === 0) {
      throw new ServebenchError(
        'E_USAGE',
        `the step at ${value} ${unit} sent no request`,
        unit === 'concurrency' ? { hint: "a closed-loop step starts every stream at once; check load.maxInFlight and that this build runs load.type 'concurrency'" } : {},
      );
    }
    if (interrupted) return null;
    const previous = [...steps].reverse().find((p) => p.value < value) ?? null;
    const step = stepFrom({
      index: steps.length,
      value,
      unit,
      attempts: attempt,
      summary,
      windows: stepWindows(records, measuredWindows),
      meanInFlight: meanInFlight(records, measuredWindows, summary.load.workers),
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

  const done = (async (): Promise<SweepResult> => {
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    const outcome = sweep.mode === 'search' ? await driveSearch(sweep, measure, onStep) : await driveLadder(sweep, measure, onStep);
    return resultOf(scenario, sweep, opts, steps, unit, { startedAt, elapsedS: Math.round(performance.now() - t0) / 1000, interrupted: state.stopped || outcome.interrupted });
  })();

  return {
    stop() {
      state.stopped = true;
      state.current?.stop();
    },
    abort() {
      state.stopped = true;
      state.current?.abort();
    },
    done,
  };
}

/** sweep.json's content: the answer, the replica plan, and every step. */
function resultOf(scenario: ResolvedScenario, sweep: ResolvedSweep, opts: SweepOptions, steps: SweepStep[], unit: SweepUnit, when: { startedAt: string; elapsedS: number; interrupted: boolean }): SweepResult {
  const answer = answerOf(steps, unit, sweep.to);
  const planning = opts.peakRps !== undefined && answer.maxAchievedRps !== null ? planReplicas(answer.maxAchievedRps, opts.peakRps, opts.headroom ?? 0) : null;
  const t = scenario.target;
  return {
    schemaVersion: 1,
    scenario: { name: scenario.name, file: scenario.file },
    target: { url: t.embedded ? 'embedded' : t.url, routing: t.routing, deployment: t.deployment },
    sweep,
    startedAt: when.startedAt,
    elapsedS: when.elapsedS,
    interrupted: when.interrupted,
    generative: scenario.workloads.some((w) => w.kind === 'chat' || w.kind === 'completion'),
    answer,
    planning,
    steps,
  };
}
