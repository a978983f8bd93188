/**
 * What a comparison of two runs (or two variants of one run) is: its entries, verdicts, method and
 * tolerances, and the runs it read. The statistics are core.ts; the files are rendered in report/.
 */
import type { BootstrapOptions, RunIntervals, Stat } from '../metrics/bootstrap.js';
import type { MetricName } from '../metrics/records.js';
import type { Summary } from '../metrics/summary-types.js';

export type Verdict = 'regression' | 'improvement' | 'same';

export interface CompareEntry {
  /** A workload name, or 'all' for the whole run. */
  workload: string;
  metric: string;
  stat: string;
  unit: string;
  /** Which direction is good ('either': not known, so the change is shown and never judged). */
  better: 'lower' | 'higher' | 'either';
  baseline: number;
  candidate: number;
  /** candidate − baseline, in the metric's unit. */
  change: number;
  /** change / baseline (null when the baseline is 0). */
  relativeChange: number | null;
  /** candidate / baseline (null when the baseline is 0). */
  ratio: number | null;
  /** Bootstrap interval of the change (null for a tolerance-only verdict). */
  ci: { level: number; change: [number, number]; relative: [number, number] | null; ratio: [number, number] | null } | null;
  /** The tolerance applied and whether it is relative (a fraction of the baseline) or absolute. */
  tolerance: number;
  toleranceKind: 'relative' | 'absolute';
  verdict: Verdict;
  /** Why this verdict, in a sentence. */
  reason: string;
}

export interface RunRef {
  label: string;
  path: string;
  scenario: string;
  startedAt: string;
  /** Measured seconds of the run: the seconds of data it really has. */
  durationS: number;
  /** One-second records found (0: summary.json only); the last may hold only late completions. */
  intervals: number;
  /** The run's only workload, when it has one ('all' rows are that workload). */
  workload?: string;
}

export interface Comparison {
  schemaVersion: 1;
  kind: 'runs' | 'variants';
  baseline: RunRef;
  candidate: RunRef;
  method: {
    name: 'block-bootstrap' | 'tolerance-only';
    description: string;
    confidence: number;
    resamples: number;
    seed: number;
  };
  tolerance: { default: number; overrides: Record<string, number> };
  verdict: Verdict;
  regressions: number;
  improvements: number;
  warnings: string[];
  /** Client entries per workload, then the server's series (workload 'server'; compare/server.ts). */
  metrics: CompareEntry[];
  /** When a run had `server:` metrics: how many series both runs had, and those in one run only (listed, not judged). */
  server?: ServerComparison;
}

export interface ServerComparison {
  compared: number;
  onlyInBaseline: string[];
  onlyInCandidate: string[];
}

/** The `workload` of a server series' entries. */
export const SERVER = 'server';

/** A run as compare sees it: its summary, and its per-second data when results.ndjson is there. */
export interface RunData {
  label: string;
  path: string;
  summary: Summary;
  intervals: RunIntervals | null;
}

export interface CompareOptions {
  /** Default relative tolerance (0.1 = 10 %). */
  tolerance?: number;
  /** Per `metric.stat` tolerances, e.g. {'latency.p99': 0.05, 'errors.rate': 0.005}. */
  toleranceFor?: Record<string, number>;
  bootstrap?: Partial<BootstrapOptions>;
  kind?: Comparison['kind'];
}

export const DEFAULT_TOLERANCE = 0.1;
/** Error rate changes are judged in absolute points: +10 % of a 0.1 % error rate is no news. */
export const DEFAULT_ERROR_RATE_TOLERANCE = 0.01;
/** Fewer seconds than this per run and a bootstrap over seconds says nothing: tolerance only. */
export const MIN_INTERVALS = 3;
/**
 * A percentile is judged only when each run has at least this many samples beyond it: p99 of 150
 * requests is the second-largest value, which one slow second moves by 30 %, and neither the
 * tolerance nor a bootstrap over three seconds can tell that from a regression.
 */
export const MIN_TAIL_SAMPLES = 10;

export const TIME_METRICS_COMPARED: readonly MetricName[] = ['latency', 'serviceTime', 'ttft', 'tpot', 'itl'];
export const TIME_STATS: readonly Stat[] = ['p50', 'p90', 'p99', 'mean'];

/** What a comparison's files are rendered from: the comparison and the two summaries it read. */
export interface CompareReport {
  comparison: Comparison;
  baseline: Summary;
  candidate: Summary;
}
