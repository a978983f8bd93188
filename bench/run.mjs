// `npm run bench`: servebench's figures, measured side by side in one run on this machine.
//   accuracy  — 2,000 rps for 10 s against a fast server: achieved rate, schedule lag, server count
//   exact     — 500 rps against a server whose service time is exactly 5 ms: latency p50
//   ceiling   — the highest constant rate one worker sustains (achieved >= 99 % of target,
//               dropped < 0.1 %) with the server on core 0 and servebench on core 1, beside
//               autocannon's closed-loop throughput on the same pinning (and wrk/hey if installed)
// Select with `npm run bench -- accuracy ceiling`; default is all. Results go to bench/results/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const outRoot = join(root, 'bench', 'results');
mkdirSync(outRoot, { recursive: true });
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pin = (core, cmd, args) => (hasTaskset ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args]);
const which = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;

async function startServer({ delayMs = 0, core = 0 } = {}) {
  const [cmd, args] = pin(core, process.execPath, [join(root, 'bench', 'trivial-server.mjs')]);
  const child = spawn(cmd, args, { env: { ...process.env, DELAY_MS: String(delayMs) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    count: async () => Number(await (await fetch(`${url}/__count`)).text()),
    reset: async () => fetch(`${url}/__reset`).then((r) => r.text()),
    stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
  };
}

function scenarioFile(name, url, load) {
  const f = join(outRoot, `${name}.json`);
  writeFileSync(
    f,
    JSON.stringify({
      name,
      target: { url, project: 'bench', deployment: 'trivial', timeout: '10s' },
      workloads: [{ name: 'predict', kind: 'predict', model: 'm', body: { inputs: [[1, 2, 3, 4]] } }],
      load: { type: 'constant', workers: 1, connections: 64, maxInFlight: 10000, ...load },
    }),
  );
  return f;
}

/** Runs the built CLI (pinned to `core`) and returns its summary.json. */
function runServebench(name, url, load, core = 1) {
  const f = scenarioFile(name, url, load);
  const out = join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  const [cmd, args] = pin(core, process.execPath, [cli, 'run', f, '--out', out, '--quiet']);
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, HOPSWORKS_API_KEY: 'bench' } });
  if (!existsSync(join(out, 'summary.json'))) throw new Error(`servebench run failed (${r.status}): ${r.stderr}`);
  return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
}

function autocannon(url, core = 1, seconds = 10, connections = 64) {
  const bin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
  const [cmd, args] = pin(core, process.execPath, [bin, '-j', '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', '{"inputs":[[1,2,3,4]]}', `${url}/v1/bench/trivial/v1/models/m:predict`]);
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const j = JSON.parse(r.stdout);
  return j.requests.average;
}

function wrk(url, core = 1, seconds = 10, connections = 64) {
  if (!which('wrk')) return null;
  const [cmd, args] = pin(core, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, `${url}/v1/bench/trivial/v1/models/m:predict`]);
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  return m ? Number(m[1]) : null;
}

const sustains = (s) => s.load.achievedRps >= 0.99 * s.load.targetRps && s.totals.dropped < 0.001 * s.totals.scheduled && s.totals.errors === 0;

const results = {};
const table = [];

async function benchAccuracy() {
  const srv = await startServer();
  try {
    await srv.reset();
    const s = runServebench('accuracy-2000', srv.url, { rps: 2000, duration: '10s', warmup: '3s' }, 1);
    // The server also saw the 3 s of warm-up (sent, not counted in totals).
    const count = (await srv.count()) - 3 * 2000;
    results.accuracy = { targetRps: 2000, achievedRps: s.load.achievedRps, scheduleLagP99Ms: s.metrics.scheduleLag.p99, dispatchLagP99Ms: s.generator.dispatchLagMs.p99, sent: s.totals.sent, serverCount: count, latencyP50Ms: s.metrics.latency.p50 };
    table.push(['accuracy: 2,000 rps × 10 s', `achieved ${s.load.achievedRps} rps (${(((s.load.achievedRps - 2000) / 2000) * 100).toFixed(3)} %)`, `scheduleLag p99 ${s.metrics.scheduleLag.p99} ms`, `server saw ${count} (after warm-up), sent ${s.totals.sent}`]);
  } finally {
    await srv.stop();
  }
}

async function benchExact() {
  const srv = await startServer({ delayMs: 5 });
  try {
    const s = runServebench('exact-5ms', srv.url, { rps: 500, duration: '10s', warmup: '1s' }, 1);
    results.exact = { latencyP50Ms: s.metrics.latency.p50, latencyP99Ms: s.metrics.latency.p99, serviceTimeP50Ms: s.metrics.serviceTime.p50 };
    table.push(['exact: 5 ms server, 500 rps', `latency p50 ${s.metrics.latency.p50} ms`, `p99 ${s.metrics.latency.p99} ms`, `serviceTime p50 ${s.metrics.serviceTime.p50} ms`]);
  } finally {
    await srv.stop();
  }
}

async function benchCeiling() {
  const srv = await startServer({ core: 0 });
  try {
    const ac = autocannon(srv.url, 1, 10);
    const wr = wrk(srv.url, 1, 10);
    // Bracket then bisect on the rate, 5 s steps, to 2 % precision.
    let lo = 0;
    let hi = 0;
    let rate = Math.max(1000, Math.round(ac * 0.5));
    const steps = [];
    for (;;) {
      const s = runServebench(`ceiling-${rate}`, srv.url, { rps: rate, duration: '5s', warmup: '1s' }, 1);
      steps.push({ rate, achieved: s.load.achievedRps, dropped: s.totals.dropped, ok: sustains(s), elu: s.generator.maxEventLoopUtilization });
      if (sustains(s)) {
        lo = rate;
        if (hi) break;
        rate = Math.round(rate * 1.4);
      } else {
        hi = rate;
        if (lo) break;
        rate = Math.round(rate / 1.4);
        if (rate < 500) break;
      }
    }
    while (hi && lo && (hi - lo) / lo > 0.02) {
      const mid = Math.round((lo + hi) / 2);
      const s = runServebench(`ceiling-${mid}`, srv.url, { rps: mid, duration: '5s', warmup: '1s' }, 1);
      steps.push({ rate: mid, achieved: s.load.achievedRps, dropped: s.totals.dropped, ok: sustains(s), elu: s.generator.maxEventLoopUtilization });
      if (sustains(s)) lo = mid;
      else hi = mid;
    }
    results.ceiling = { servebenchRps: lo, autocannonRps: ac, wrkRps: wr, ratio: Math.round((lo / ac) * 1000) / 1000, steps, pinned: hasTaskset };
    table.push(['ceiling: one worker, pinned', `servebench ${lo} rps (open loop, CO-corrected)`, `autocannon ${Math.round(ac)} rps (closed loop)`, `ratio ${(lo / ac).toFixed(2)}${wr ? `; wrk ${Math.round(wr)} rps` : ''}`]);
  } finally {
    await srv.stop();
  }
}

const benches = { accuracy: benchAccuracy, exact: benchExact, ceiling: benchCeiling };
const chosen = process.argv.slice(2).filter((a) => a in benches);
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  process.stderr.write(`bench ${name}…\n`);
  await benches[name]();
}
writeFileSync(join(outRoot, 'bench.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2));
console.log('\nservebench bench' + (hasTaskset ? ' (server on core 0, generator on core 1)' : ' (taskset not found: unpinned)'));
for (const row of table) console.log(`  ${row.join('  |  ')}`);
console.log(`\nfull results: ${join('bench', 'results', 'bench.json')}`);
