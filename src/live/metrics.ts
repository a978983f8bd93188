/**
 * servebench's own progress as Prometheus metrics while a run goes (`--metrics-port`), for a
 * Prometheus beside the load generator and the Grafana dashboard in deploy/grafana/. Fed by the
 * run's records on the main thread (never by the workers), with prom-client's registry.
 *
 * Latency and TTFT are gauges of the last complete second's percentiles per workload (like a
 * summary's quantiles): the workers send HDR histograms per second, and their exact percentiles
 * say more than Prometheus buckets re-derived from them.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { addEncoded, newAccumulator, statsOf, type Histogram } from '../metrics/hdr.js';
import type { IntervalRecord, RunInfo, RunRecord } from '../metrics/records.js';

/** Every metric name this module exports: the Grafana dashboard may use only these (tested). */
export const LIVE_METRICS = {
  info: 'servebench_run_info',
  sent: 'servebench_requests_sent_total',
  completed: 'servebench_requests_total',
  dropped: 'servebench_requests_dropped_total',
  inFlight: 'servebench_requests_in_flight',
  outputTokens: 'servebench_output_tokens_total',
  latency: 'servebench_latency_ms',
  ttft: 'servebench_ttft_ms',
  targetRps: 'servebench_target_rps',
  elu: 'servebench_worker_event_loop_utilization',
  loopLag: 'servebench_worker_event_loop_lag_p99_ms',
  second: 'servebench_run_second',
} as const;

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.99', 'p99'],
] as const;

export class LiveMetrics {
  readonly registry = new Registry();
  private run: RunInfo | undefined;
  /** Interval records by index until every worker's is in. */
  private readonly pending = new Map<number, IntervalRecord[]>();
  /** Latest inFlight per worker × workload. */
  private readonly inFlightBy = new Map<string, number>();
  private readonly m;

  constructor() {
    const r = this.registry;
    const lw = ['workload'] as const;
    this.m = {
      info: new Gauge({ name: LIVE_METRICS.info, help: 'The run: 1, labelled by scenario, shard and load type', labelNames: ['scenario', 'shard', 'load_type'] as const, registers: [r] }),
      sent: new Counter({ name: LIVE_METRICS.sent, help: 'Measured requests sent', labelNames: lw, registers: [r] }),
      completed: new Counter({ name: LIVE_METRICS.completed, help: 'Completed requests by outcome: ok or the error class (http_503, timeout, …)', labelNames: ['workload', 'status'] as const, registers: [r] }),
      dropped: new Counter({ name: LIVE_METRICS.dropped, help: 'Scheduled requests not sent because maxInFlight was reached', labelNames: lw, registers: [r] }),
      inFlight: new Gauge({ name: LIVE_METRICS.inFlight, help: 'Requests in flight at the end of the last second', labelNames: lw, registers: [r] }),
      outputTokens: new Counter({ name: LIVE_METRICS.outputTokens, help: 'Output tokens received', labelNames: lw, registers: [r] }),
      latency: new Gauge({ name: LIVE_METRICS.latency, help: 'Latency (intended → done) of the last complete second, ms', labelNames: ['workload', 'quantile'] as const, registers: [r] }),
      ttft: new Gauge({ name: LIVE_METRICS.ttft, help: 'Time to first token of the last complete second, ms', labelNames: ['workload', 'quantile'] as const, registers: [r] }),
      targetRps: new Gauge({ name: LIVE_METRICS.targetRps, help: "The plan's target rate of this process (0 for a closed loop)", registers: [r] }),
      elu: new Gauge({ name: LIVE_METRICS.elu, help: 'Event-loop utilization of each worker thread in the last second (near 1: the generator is the bottleneck)', labelNames: ['worker'] as const, registers: [r] }),
      loopLag: new Gauge({ name: LIVE_METRICS.loopLag, help: 'p99 event-loop lag of each worker thread in the last second, ms', labelNames: ['worker'] as const, registers: [r] }),
      second: new Gauge({ name: LIVE_METRICS.second, help: 'The last complete second of the measured run', registers: [r] }),
    };
    collectDefaultMetrics({ register: r, prefix: 'servebench_' });
  }

  /** Every run record as it arrives (the coordinator's onRecord). */
  onRecord(rec: RunRecord): void {
    if (rec.type === 'start') {
      this.run = rec.run;
      this.m.info.set({ scenario: rec.run.scenario.name, shard: rec.run.shard, load_type: rec.run.load.type }, 1);
      this.m.targetRps.set(rec.run.load.targetRps);
      return;
    }
    if (rec.type !== 'interval' || !this.run) return;
    const names = this.run.workloads.map((w) => w.name);
    rec.workloads.forEach((w, i) => {
      const workload = names[i] ?? String(i);
      this.m.sent.inc({ workload }, w.sent);
      if (w.ok > 0) this.m.completed.inc({ workload, status: 'ok' }, w.ok);
      for (const [cls, n] of Object.entries(w.errors)) this.m.completed.inc({ workload, status: cls }, n);
      if (w.dropped > 0) this.m.dropped.inc({ workload }, w.dropped);
      if (w.outputTokens > 0) this.m.outputTokens.inc({ workload }, w.outputTokens);
      this.inFlightBy.set(`${rec.worker}/${i}`, w.inFlight);
    });
    for (let i = 0; i < names.length; i++) {
      let sum = 0;
      for (const [k, v] of this.inFlightBy) if (k.endsWith(`/${i}`)) sum += v;
      this.m.inFlight.set({ workload: names[i] }, sum);
    }
    this.m.elu.set({ worker: String(rec.worker) }, rec.health.elu);
    if (rec.health.loopLagUs) this.m.loopLag.set({ worker: String(rec.worker) }, quantileOf(rec.health.loopLagUs));
    const recs = [...(this.pending.get(rec.index) ?? []), rec];
    if (recs.length < this.run.load.workers) {
      this.pending.set(rec.index, recs);
      return;
    }
    this.pending.delete(rec.index);
    this.second(rec.index, recs, names);
  }

  /** Every worker's record of one second is in: its percentiles replace the last second's. */
  private second(index: number, recs: IntervalRecord[], names: string[]): void {
    names.forEach((workload, i) => {
      for (const [metric, gauge] of [
        ['latency', this.m.latency],
        ['ttft', this.m.ttft],
      ] as const) {
        const acc: Histogram = newAccumulator();
        for (const r of recs) {
          const h = r.workloads[i]?.hist[metric];
          if (h) addEncoded(acc, h);
        }
        const st = statsOf(acc, 1e-3);
        acc.destroy();
        if (st.count === 0) continue;
        for (const [q, k] of QUANTILES) gauge.set({ workload, quantile: q }, st[k]);
      }
    });
    this.m.second.set(index);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function quantileOf(encoded: string): number {
  const acc = newAccumulator();
  addEncoded(acc, encoded);
  const p99 = statsOf(acc, 1e-3).p99;
  acc.destroy();
  return p99;
}
