// `node bench/compare.mjs` (after `npm run build`): how `servebench compare` behaves and what it costs.
//   calibration — pairs of synthetic runs (log-normal latencies with a per-second drift, like a
//                 shared machine): how often two runs of one distribution are called a regression
//                 (false alarms), and how often a 20 % slower candidate is (detection), by length
//   cost        — time of compareRuns (the bootstrap) beside buildSummary on the same records,
//                 for a 60 s and a 600 s run at 100 req/s, as a ratio (machines are shared)
// Results go to bench/results/compare.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { Rng } = await import(dist('util/random.js'));
const { encode, newRecorder } = await import(dist('metrics/hdr.js'));
const { emptyWorkloadInterval, SCHEMA_VERSION } = await import(dist('metrics/records.js'));
const { buildSummary } = await import(dist('metrics/summary.js'));
const { compareRuns } = await import(dist('compare/core.js'));
const { runDataOf } = await import(dist('compare/load.js'));

const outRoot = join(root, 'bench', 'results');
mkdirSync(outRoot, { recursive: true });

/** A run's records: `seconds` 1 s records at `rps`, latencies log-normal(median, 0.25), each second scaled by exp(drift·N(0,1)). */
function records({ seconds, rps = 100, medianMs = 20, drift = 0.05, seed }) {
  const rng = new Rng(seed);
  const startedAt = '2026-01-01T00:00:00.000Z';
  const out = [
    {
      type: 'start',
      run: {
        schemaVersion: SCHEMA_VERSION, servebenchVersion: 'bench', scenario: { name: 'synthetic', file: '' },
        target: { url: 'embedded', routing: 'path', project: 'p', deployment: 'd', embedded: true },
        load: { type: 'constant', targetRps: rps, durationMs: seconds * 1000, warmupMs: 0, requests: 0, workers: 1, connections: 16, maxInFlight: 1000, onSaturation: 'drop', concurrency: 0 },
        workloads: [{ name: 'w', kind: 'predict', model: 'm', weight: 1, stream: false }],
        slo: {}, thresholds: [], measureStartEpochMs: Date.parse(startedAt), startedAt, shard: '0/1',
      },
    },
  ];
  const lat = newRecorder();
  for (let s = 0; s < seconds; s++) {
    lat.reset();
    const scale = Math.exp(drift * rng.normal());
    const w = emptyWorkloadInterval();
    w.sent = w.ok = rps;
    for (let k = 0; k < rps; k++) lat.recordValue(Math.round(medianMs * scale * Math.exp(0.25 * rng.normal()) * 1000));
    w.hist = { latency: encode(lat), serviceTime: encode(lat) };
    out.push({ type: 'interval', shard: '0/1', worker: 0, index: s, workloads: [w], health: { elu: 0.1 } });
  }
  out.push({ type: 'end', shard: '0/1', measuredDurationMs: seconds * 1000, interrupted: false, cpuPercent: 1, workerErrors: [], endedAt: startedAt });
  return out;
}

const data = (label, recs) => runDataOf(label, label, buildSummary(recs), recs);

function calibration() {
  const rows = [];
  const pairs = 20;
  for (const seconds of [5, 30]) {
    let falseAlarms = 0;
    let detected = 0;
    let p50Detected = 0;
    for (let i = 0; i < pairs; i++) {
      const a = data('a', records({ seconds, seed: 1000 + i }));
      const same = compareRuns(a, data('b', records({ seconds, seed: 2000 + i })), { bootstrap: { resamples: 500 } });
      if (same.regressions > 0) falseAlarms++;
      const slow = compareRuns(a, data('c', records({ seconds, seed: 3000 + i, medianMs: 24 })), { bootstrap: { resamples: 500 } });
      if (slow.regressions > 0) detected++;
      if (slow.metrics.some((m) => m.workload === 'all' && m.metric === 'latency' && m.stat === 'p50' && m.verdict === 'regression')) p50Detected++;
    }
    rows.push({ seconds, pairs, falseAlarmRate: falseAlarms / pairs, detectionRate: detected / pairs, latencyP50DetectionRate: p50Detected / pairs });
  }
  return rows;
}

function cost() {
  const rows = [];
  for (const seconds of [60, 600]) {
    const a = records({ seconds, seed: 1 });
    const b = records({ seconds, seed: 2 });
    let t = performance.now();
    const sa = buildSummary(a);
    const sb = buildSummary(b);
    const summaryMs = performance.now() - t;
    t = performance.now();
    const c = compareRuns(runDataOf('a', 'a', sa, a), runDataOf('b', 'b', sb, b));
    const compareMs = performance.now() - t;
    rows.push({ seconds, summaryMs: Math.round(summaryMs), compareMs: Math.round(compareMs), ratio: Math.round((compareMs / summaryMs) * 10) / 10, resamples: c.method.resamples, entries: c.metrics.length });
  }
  return rows;
}

const which = process.argv.slice(2);
const want = (n) => which.length === 0 || which.includes(n);
const result = { at: new Date().toISOString() };
if (want('calibration')) {
  result.calibration = calibration();
  console.log('\ncalibration (20 pairs each; 10 % tolerance; drift 5 %/s; candidate +20 %)');
  console.table(result.calibration);
}
if (want('cost')) {
  result.cost = cost();
  console.log('\ncost: compareRuns (both runs: decode records + bootstrap) beside buildSummary of both runs');
  console.table(result.cost);
}
writeFileSync(join(outRoot, 'compare.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`\nwritten: ${join(outRoot, 'compare.json')}`);
