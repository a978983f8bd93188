// Soak: servebench (the built CLI, a child process) runs for N minutes at a steady rate against
// the mock gateway with faults injected (a share of 500s, one stall window of a few seconds, and
// an optional retry policy), while this script samples the child's resident memory and open file
// descriptors (/proc/<pid>) every 10 s. It then checks:
//   memory  — RSS at the end within 25 % (and 40 MB) of RSS after the first minute (after half
//             the run when it is shorter than two minutes): no growth with run length
//   fds     — no more open descriptors at the end than after the first minute (+2 of slack)
//   totals  — the mock counted exactly sent + retries predict requests; sent = ok + errors
//             (+ unfinished); scheduled = the plan (rps × duration)
// Usage: node bench/soak.mjs [--minutes 10] [--rps 200] [--error-rate 0.05] [--stall-ms 3000]
// Needs `npm run build` first (and Linux for /proc). Results: bench/results/soak.json.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root, cli, NODE_FLAGS } from './lib.mjs';

const outRoot = join(root, 'bench', 'results');
mkdirSync(outRoot, { recursive: true });

const { values: a } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rps: { type: 'string', default: '200' },
    'error-rate': { type: 'string', default: '0.05' },
    'stall-ms': { type: 'string', default: '3000' },
    'sample-s': { type: 'string', default: '10' },
  },
});
const minutes = Number(a.minutes);
const rps = Number(a.rps);
const errorRate = Number(a['error-rate']);
const stallMs = Number(a['stall-ms']);
const sampleMs = Number(a['sample-s']) * 1000;
const durationS = Math.round(minutes * 60);
if (!(durationS > 0 && rps > 0)) throw new Error('--minutes and --rps must be > 0');
if (!existsSync(cli)) throw new Error('run `npm run build` first');

const { startMockInThread } = await import(join(root, 'dist', 'mock', 'index.js'));

const KEY = `soak-${process.pid}-${Date.now()}`;
// The stall comes before the baseline sample (at most 20 s in): the sockets it makes the pool open
// and the backlog it leaves are part of the steady state the rest of the run is compared with.
const stallAtS = Math.min(20, Math.round(durationS / 6));
const mock = await startMockInThread({
  deployments: [{ project: 'soak', deployment: 'fraud', models: [] }],
  apiKeys: [KEY],
  serviceTime: { type: 'lognormal', medianMs: 5, sigma: 0.5 },
  faults: { errorRate, ...(stallMs > 0 ? { stallAt: { afterMs: stallAtS * 1000, forMs: stallMs } } : {}) },
});

const scenarioPath = join(outRoot, 'soak-scenario.json');
writeFileSync(
  scenarioPath,
  JSON.stringify({
    name: 'soak',
    target: {
      url: mock.url,
      project: 'soak',
      deployment: 'fraud',
      apiKey: '${SOAK_KEY}',
      timeout: '10s',
      // 503/504/connect are the gateway's transient answers; the mock's faults are 500s, so the
      // policy is exercised only when asked for explicitly (it is off by default in servebench).
      retry: { on: [500], max: 1, backoff: '50ms' },
    },
    workloads: [{ name: 'predict', kind: 'predict', model: 'fraud', body: { inputs: [[1, 2, 3, 4]] } }],
    // A socket per request in flight: a request counted as sent is on the wire, so the mock's
    // count can be compared exactly.
    load: { type: 'constant', rps, duration: `${durationS}s`, warmup: '0s', connections: 2048, maxInFlight: 2048 },
  }),
);

const out = join(outRoot, 'soak');
rmSync(out, { recursive: true, force: true });
const t0 = Date.now();
const child = spawn(process.execPath, [...NODE_FLAGS, cli, 'run', scenarioPath, '--out', out, '--quiet'], {
  env: { ...process.env, SOAK_KEY: KEY },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stdout = '';
let stderr = '';
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', (d) => (stderr += d));

function sample() {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const fds = readdirSync(`/proc/${child.pid}/fd`).length;
    const threads = Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return { atS: Math.round((Date.now() - t0) / 1000), rssMb: Math.round(rssKb / 102.4) / 10, fds, threads };
  } catch {
    return null; // the child has exited
  }
}

const samples = [];
// Samples on the 10 s marks of the measured run (the first one after start-up settles).
const timer = setInterval(() => {
  const s = sample();
  if (s) samples.push(s);
}, sampleMs);
const code = await new Promise((res) => child.on('exit', res));
clearInterval(timer);
const stats = await mock.statsAsync();
await mock.close();

if (!existsSync(join(out, 'summary.json'))) {
  console.error(stderr);
  throw new Error(`servebench exited ${code} without a summary`);
}
const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
const t = s.totals;
const served = stats.byRoute.predict ?? 0;

// The baseline: after the first minute, or after half the run when it is shorter than 2 minutes.
const baseAtS = durationS >= 120 ? 60 : durationS / 2;
const base = samples.find((x) => x.atS >= baseAtS) ?? samples[0];
const last = samples.at(-1);
const checks = [
  {
    check: 'memory flat',
    detail: base && last ? `RSS ${base.rssMb} MB at ${base.atS}s → ${last.rssMb} MB at ${last.atS}s` : 'no samples',
    ok: !!base && !!last && (last.rssMb <= base.rssMb * 1.25 || last.rssMb - base.rssMb <= 40),
  },
  {
    check: 'no fd growth',
    detail: base && last ? `fds ${base.fds} at ${base.atS}s → ${last.fds} at ${last.atS}s (max ${Math.max(...samples.map((x) => x.fds))})` : 'no samples',
    ok: !!base && !!last && last.fds <= base.fds + 2,
  },
  { check: 'server count = sent + retries', detail: `${served} = ${t.sent} + ${t.retries ?? 0}`, ok: served === t.sent + (t.retries ?? 0) },
  {
    check: 'sent = ok + errors + unfinished',
    detail: `${t.sent} = ${t.ok} + ${t.errors} + ${t.unfinished ?? 0}`,
    ok: t.sent === t.ok + t.errors + (t.unfinished ?? 0),
  },
  { check: 'scheduled = plan', detail: `${t.scheduled} = ${rps} × ${durationS}`, ok: t.scheduled === rps * durationS },
  { check: 'scheduled = sent + dropped', detail: `${t.scheduled} = ${t.sent} + ${t.dropped}`, ok: t.scheduled === t.sent + t.dropped },
  { check: 'exit code 0', detail: String(code), ok: code === 0 },
  { check: 'key not in any output', detail: 'summary, results, stdout, stderr', ok: ![readFileSync(join(out, 'summary.json'), 'utf8'), readFileSync(join(out, 'results.ndjson'), 'utf8'), stdout, stderr].some((x) => x.includes(KEY)) },
];

const pad = (v, n) => String(v).padEnd(n);
console.log(`\nsoak: ${minutes} min at ${rps} rps against the mock (errorRate ${errorRate}, stall ${stallMs} ms at ${stallAtS} s, retry on 500 ×1)`);
console.log(`\n${pad('t (s)', 8)}${pad('RSS (MB)', 10)}${pad('fds', 6)}threads`);
for (const x of samples) console.log(`${pad(x.atS, 8)}${pad(x.rssMb, 10)}${pad(x.fds, 6)}${x.threads}`);
console.log(`\ntotals: scheduled ${t.scheduled}, sent ${t.sent}, ok ${t.ok}, errors ${t.errors} ${JSON.stringify(s.errors)}, dropped ${t.dropped}, retries ${t.retries ?? 0}, unfinished ${t.unfinished ?? 0}`);
console.log(`latency p50 ${s.metrics.latency?.p50} ms, p99 ${s.metrics.latency?.p99} ms, max ${s.metrics.latency?.max} ms; achieved ${s.load.achievedRps} rps; generator saturated: ${s.generator.saturated}`);
console.log(`\n${pad('check', 34)}${pad('result', 8)}detail`);
for (const c of checks) console.log(`${pad(c.check, 34)}${pad(c.ok ? 'PASS' : 'FAIL', 8)}${c.detail}`);
writeFileSync(join(outRoot, 'soak.json'), JSON.stringify({ minutes, rps, errorRate, stallMs, samples, totals: t, errors: s.errors, served, checks }, null, 2));
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
