/**
 * Small synthetic runs for comparison tests: one predict workload, one worker, `seconds` interval
 * records whose latencies are log-normal around `medianMs` (seeded), optionally with errors.
 * Built as real run records, so they go through buildSummary and the bootstrap like a run's.
 */
import { Rng } from '../../src/util/random.js';
import { encode, newRecorder } from '../../src/metrics/hdr.js';
import { emptyWorkloadInterval, SCHEMA_VERSION, type EndRecord, type IntervalRecord, type RunInfo, type RunRecord } from '../../src/metrics/records.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';

export interface SyntheticOptions {
  seconds?: number;
  rps?: number;
  medianMs?: number;
  sigma?: number;
  errorRate?: number;
  seed?: number;
  name?: string;
  /** Load fields to override (type, connections, maxInFlight, warmupMs…). */
  load?: Partial<RunInfo['load']>;
  /** Sent per second, when it differs from the nominal rate (a Poisson plan's own count). */
  sentPerSecond?: (sec: number) => number;
  /** Edits each interval record after it is built (health figures, lag histograms). */
  tweak?: (rec: IntervalRecord) => void;
  /** Fields of the end record to override (plannedSlots, sendOverrunMs…). */
  end?: Partial<EndRecord>;
}

export function syntheticRecords(o: SyntheticOptions = {}): RunRecord[] {
  const seconds = o.seconds ?? 20;
  const rps = o.rps ?? 100;
  const rng = new Rng(o.seed ?? 1);
  const startedAt = '2026-01-01T00:00:00.000Z';
  const records: RunRecord[] = [
    {
      type: 'start',
      run: {
        schemaVersion: SCHEMA_VERSION,
        servebenchVersion: '0.1.0',
        scenario: { name: o.name ?? 'synthetic', file: '' },
        target: { url: 'embedded', routing: 'path', project: 'test', deployment: 'fraud', embedded: true },
        load: { type: 'constant', targetRps: rps, durationMs: seconds * 1000, warmupMs: 0, requests: 0, workers: 1, connections: 16, maxInFlight: 1000, onSaturation: 'drop', concurrency: 0, ...o.load },
        workloads: [{ name: 'fraud-predict', kind: 'predict', model: 'fraud', weight: 1, stream: false }],
        slo: {},
        thresholds: [],
        measureStartEpochMs: Date.parse(startedAt),
        startedAt,
        shard: '0/1',
      },
    },
  ];
  const lat = newRecorder();
  const svc = newRecorder();
  for (let sec = 0; sec < seconds; sec++) {
    lat.reset();
    svc.reset();
    const w = emptyWorkloadInterval();
    const n = o.sentPerSecond ? o.sentPerSecond(sec) : rps;
    w.sent = n;
    for (let k = 0; k < n; k++) {
      if (rng.next() < (o.errorRate ?? 0)) {
        w.errors.http_500 = (w.errors.http_500 ?? 0) + 1;
        continue;
      }
      const ms = (o.medianMs ?? 20) * Math.exp((o.sigma ?? 0.2) * rng.normal());
      svc.recordValue(Math.round(ms * 1000));
      lat.recordValue(Math.round(ms * 1000) + 50);
      w.ok++;
    }
    w.hist = { latency: encode(lat), serviceTime: encode(svc) };
    const rec: IntervalRecord = { type: 'interval', shard: '0/1', worker: 0, index: sec, workloads: [w], health: { elu: 0.1 } };
    o.tweak?.(rec);
    records.push(rec);
  }
  records.push({ type: 'end', shard: '0/1', measuredDurationMs: seconds * 1000, interrupted: false, cpuPercent: 10, workerErrors: [], endedAt: startedAt, ...o.end });
  return records;
}

export function syntheticRun(o: SyntheticOptions = {}): { records: RunRecord[]; summary: Summary } {
  const records = syntheticRecords(o);
  return { records, summary: buildSummary(records) };
}
