/**
 * abortOnFail during a run: fed every record as it arrives, it evaluates the abort thresholds on
 * the run so far once per new measured second (after each one's delay) and reports the first
 * failure. The summary so far is kept up record by record (SummaryBuilder), so a check costs the
 * figures it reads, not every record read again; checks are still spaced at least ten times their
 * own cost apart, so a long run never spends more than a tenth of the coordinator's time here.
 */
import type { RunRecord } from './records.js';
import type { Summary, ThresholdResult } from './summary-types.js';
import { SummaryBuilder } from './summary.js';
import { evaluateThreshold, parseThreshold, type ParsedThreshold } from './thresholds.js';

/** A summary kept up as records arrive. */
export interface RunningSummary {
  add(r: RunRecord): void;
  summary(): Summary;
}

export class AbortWatch {
  private readonly rules: ReadonlyArray<{ parsed: ParsedThreshold; delayMs: number }>;
  private lastIndex = -1;
  private nextEvalAtMs = 0;

  constructor(
    rules: readonly { readonly expr: string; readonly delayMs: number }[],
    private readonly running: RunningSummary = new SummaryBuilder(),
  ) {
    this.rules = rules.map((r) => ({ parsed: parseThreshold(r.expr), delayMs: r.delayMs }));
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** Returns the failed threshold that should stop the run, or null. */
  observe(r: RunRecord): ThresholdResult | null {
    if (!this.active) return null;
    this.running.add(r);
    if (r.type !== 'interval' || r.index <= this.lastIndex) return null;
    this.lastIndex = r.index;
    const elapsedMs = (r.index + 1) * 1000;
    const due = this.rules.filter((x) => elapsedMs >= x.delayMs);
    const now = Date.now();
    if (due.length === 0 || now < this.nextEvalAtMs) return null;
    const summary = this.running.summary();
    this.nextEvalAtMs = Date.now() + Math.max(1000, 10 * (Date.now() - now));
    for (const x of due) {
      const res = evaluateThreshold(x.parsed, summary);
      if (!res.ok) return res;
    }
    return null;
  }
}
