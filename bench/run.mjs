// `npm run bench`: servebench's figures, measured side by side in one run on this machine.
//   accuracy  — 2,000 rps for 10 s against a fast server: achieved rate, schedule lag, server count
//   exact     — 500 rps against a server whose service time is exactly 5 ms: latency p50
//   ceiling   — the highest constant rate one worker sustains (achieved >= 99.5 % of target,
//               dropped < 0.1 %) with the server on core 0 and servebench on core 1, beside
//               autocannon's closed-loop throughput on the same pinning (and wrk/hey if installed)
//   ceiling2  — the same with 2 workers (both on core 1)
//   rates     — rate accuracy and scheduleLag p99 at 1k, 10k and the ceiling (measured, or --ceiling N)
//               ceiling, ceiling2 and rates measure both HTTP clients (target.client undici and lean);
//               `--client lean` measures one; `--server nginx` puts nginx on core 0 instead of the
//               Node trivial server (a server that costs less per request than either client)
//   vsautocannon — autocannon's closed-loop rate, then servebench asked to hold exactly that rate
//               (or --factor × it) for 20 s, alternated 5 times: the ceiling target tested pair by pair
//   memory    — RSS of the servebench process (workers included) after 1 and 5 minutes at 5k rps
//   ab        — interleaved A/B of two builds (--a DIR --b DIR, each a dist/): CPU µs per request at a
//               fixed rate and the rate sustained at overload, several repetitions
//   cpu       — bench/cpu.mjs: CPU seconds per second of steady load at 200, 2,000 and 10,000 rps for
//               servebench (both clients), hey -q and autocannon -R against nginx, start-up differenced out
//   llm, shard, sweep, soak — bench/llm.mjs (token timing, streams per worker), bench/shard.mjs (what
//               sharding costs), bench/sweep.mjs (capacity search vs the mock's known capacity),
//               bench/soak.mjs (10 minutes with faults: memory, descriptors, exact totals)
// Select with `npm run bench -- ceiling rates`; default is accuracy exact ceiling ceiling2 vsautocannon rates llm
// shard sweep (memory, soak and ab only when named). `--quick` shortens every step so a run fits in a few minutes.
// Results go to bench/results/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { root, cli, NODE_FLAGS, hasTaskset, pin, which, startTrivialServer, startNginx, predictScenario, procCpuS } from './lib.mjs';

const outRoot = join(root, 'bench', 'results');
mkdirSync(outRoot, { recursive: true });

/** The median (the upper one of an even count). */
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const startServer = ({ delayMs = 0, core = 0 } = {}) => startTrivialServer({ delayMs, cores: core });

const scenarioFile = (name, url, load, client, extra) => predictScenario(outRoot, name, url, load, client, extra);

/** Runs the built CLI (pinned to `core`) and returns its summary.json. */
function runServebench(name, url, load, core = 1, client = 'undici') {
  const f = scenarioFile(name, url, load, client);
  const out = join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  const [cmd, args] = pin(core, process.execPath, [...NODE_FLAGS, cli, 'run', f, '--out', out, '--quiet']);
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

// Two ceilings. `rate`: achieved (requests on the wire over the window, late sends included) within
// 0.5 % of target, no drops, no errors — the issue's definition. `onSchedule`: the same and the run
// not flagged saturated (schedule and dispatch lag p99 within 5 ms). Before the achieved rate
// counted wire sends, a rate whose requests queued 200 ms in the pool passed as sustained.
const sustainsRate = (s) => s.load.achievedRps >= 0.995 * s.load.targetRps && s.totals.dropped < 0.001 * s.totals.scheduled && s.totals.errors === 0;
const sustainsOnSchedule = (s) => sustainsRate(s) && !s.generator.saturated;

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

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const optVal = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

/** Runs the built CLI asynchronously, sampling its RSS (VmRSS covers the worker threads too). */
function runServebenchAsync(name, url, load, { core = 1, cliPath = cli, sampleAtS = [], cpuAtS = [], client = 'undici', extra = {} } = {}) {
  const f = scenarioFile(name, url, load, client, extra);
  const out = join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  const [cmd, args] = pin(core, process.execPath, [...NODE_FLAGS, cliPath, 'run', f, '--out', out, '--quiet']);
  const child = spawn(cmd, args, { env: { ...process.env, HOPSWORKS_API_KEY: 'bench' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const rss = {};
  // CPU seconds (user + system, all threads) at the given seconds, to take steady-state deltas.
  const cpuS = {};
  const cpuTimers = cpuAtS.map((sec) => setTimeout(() => (cpuS[sec] = procCpuS(child.pid)), sec * 1000));
  const timers = sampleAtS.map((sec) =>
    setTimeout(() => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) rss[sec] = Math.round(Number(m[1]) / 1024);
      } catch {
        /* process gone */
      }
    }, sec * 1000),
  );
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      for (const t of [...timers, ...cpuTimers]) clearTimeout(t);
      if (!existsSync(join(out, 'summary.json'))) return reject(new Error(`servebench run failed (${code}): ${stderr}`));
      resolve({ summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), rss, cpuS });
    }),
  );
}

function hey(url, core = 1, seconds = 10, connections = 64) {
  if (!which('hey')) return null;
  const [cmd, args] = pin(core, 'hey', ['-z', `${seconds}s`, '-c', String(connections), '-m', 'POST', '-T', 'application/json', '-d', '{"inputs":[[1,2,3,4]]}', `${url}/v1/bench/trivial/v1/models/m:predict`]);
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  return m ? Number(m[1]) : null;
}

const stepS = quick ? 3 : 5;
const peerS = quick ? 5 : 10;
const precision = quick ? 0.05 : 0.02;
/** Length of the rates bench's runs, which the ceiling must hold for too. */
const confirmS = quick ? 5 : 20;

/**
 * Bracket then bisect on the rate until `precision` in short steps, then confirm the result in a run
 * as long as the `rates` runs, 5 % lower each time it fails. Short steps overstate the ceiling: near
 * capacity a backlog builds slowly (measured: 42,080 rps held for 5 s and achieved 36.8–37.7k over
 * 20 s). Returns the highest rate that held for the long run, and the short steps' figure.
 */
function findCeiling(tag, url, start, workers, client, sustains = sustainsRate) {
  let lo = 0;
  let hi = 0;
  let rate = Math.max(1000, Math.round(start));
  const steps = [];
  const probe = (r, seconds = stepS) => {
    const s = runServebench(`${tag}-${r}`, url, { rps: r, duration: `${seconds}s`, warmup: '2s', workers }, 1, client);
    const ok = sustains(s);
    steps.push({ rate: r, seconds, achieved: s.load.achievedRps, dropped: s.totals.dropped, scheduleLagP99Ms: s.generator.scheduleLagP99Ms, saturated: s.generator.saturated, ok, elu: s.generator.maxEventLoopUtilization, cpuPercent: s.generator.cpuPercent });
    process.stderr.write(`  ${tag} ${r} rps for ${seconds} s: achieved ${s.load.achievedRps}, dropped ${s.totals.dropped}, ${ok ? 'sustained' : 'not sustained'}\n`);
    return ok;
  };
  for (let n = 0; n < 12; n++) {
    if (probe(rate)) {
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
  while (hi && lo && (hi - lo) / lo > precision) {
    const mid = Math.round((lo + hi) / 2);
    if (probe(mid)) lo = mid;
    else hi = mid;
  }
  let held = lo;
  if (confirmS > stepS) {
    held = 0;
    for (let r = lo, n = 0; r > 0 && n < 8; r = Math.round(r * 0.95), n++) {
      if (probe(r, confirmS)) {
        held = r;
        break;
      }
    }
  }
  return { rate: held, shortStepRate: lo, steps };
}

const peers = {};
function measurePeers(url) {
  if (peers.autocannon) return peers;
  peers.autocannon = autocannon(url, 1, peerS);
  peers.wrk = wrk(url, 1, peerS);
  peers.hey = hey(url, 1, peerS);
  process.stderr.write(`  peers (closed loop, 64 connections, core 1, ${serverName} server on core 0): autocannon ${Math.round(peers.autocannon)}${peers.wrk ? `, wrk ${Math.round(peers.wrk)}` : ''}${peers.hey ? `, hey ${Math.round(peers.hey)}` : ''} req/s\n`);
  return peers;
}

const ratioText = (x, p) => (p ? `${(x / p).toFixed(2)}×` : 'n/a');
const peerRow = (label, x) => {
  const p = peers;
  table.push([label, `${Math.round(x)} req/s`, `vs autocannon ${ratioText(x, p.autocannon)}`, `vs wrk ${p.wrk ? ratioText(x, p.wrk) : 'not installed'}`, `vs hey ${p.hey ? ratioText(x, p.hey) : 'not installed'}`]);
};

/** The HTTP clients the generator benches measure (`--client undici|lean` for one of them). */
const CLIENTS = optVal('--client') ? [optVal('--client')] : ['undici', 'lean'];
/** Result keys: the undici figures keep their names from before target.client existed. */
const keyOf = (base, client) => (client === 'undici' ? base : `${base}-${client}`);

/** The server of the generator benches, on core 0: bench/trivial-server.mjs, or nginx with `--server nginx`. */
const serverName = optVal('--server') ?? 'node';
async function generatorServer() {
  if (serverName !== 'nginx') return startServer({ core: 0 });
  const n = await startNginx({ cores: 0 });
  if (!n) throw new Error('--server nginx: nginx is not installed (apt-get install nginx-light)');
  return n;
}

async function benchCeiling(workers = 1) {
  const srv = await generatorServer();
  const w = `${workers} worker${workers > 1 ? 's' : ''}`;
  try {
    const p = measurePeers(srv.url);
    for (const client of CLIENTS) {
      const tag = keyOf(`ceiling${workers}w`, client);
      const { rate, shortStepRate, steps } = findCeiling(tag, srv.url, p.autocannon * (workers === 1 ? 0.8 : 1), workers, client);
      const onSchedule = findCeiling(`${tag}-sched`, srv.url, rate * 0.5, workers, client, sustainsOnSchedule);
      results[tag] = { client, server: serverName, servebenchRps: rate, shortStepRps: shortStepRate, onScheduleShortStepRps: onSchedule.shortStepRate, autocannonRps: p.autocannon, wrkRps: p.wrk, heyRps: p.hey, ratioToAutocannon: Math.round((rate / p.autocannon) * 1000) / 1000, steps, onScheduleRps: onSchedule.rate, onScheduleSteps: onSchedule.steps, pinned: hasTaskset, quick };
      peerRow(`ceiling, ${w}, ${client} client (open loop, CO-corrected, achieved on the wire ≥ 99.5 % for ${confirmS} s; ${shortStepRate} in ${stepS} s steps)`, rate);
      peerRow(`ceiling, ${w}, ${client} client, on schedule (also lag p99 ≤ 5 ms, for ${confirmS} s; ${onSchedule.shortStepRate} in ${stepS} s steps)`, onSchedule.rate);
      (ceilings[client] ??= {})[workers] = rate;
    }
    // Like for like with the peers' closed-loop figure: the rate put on the wire when asked for far
    // more than it can send, with maxInFlight = the 64 connections (so nothing waits in the pool).
    // autocannon runs alternate with these (A B C A B C …): on a shared machine one peer figure taken
    // minutes earlier was 28.6k in one run and 33.5k in the next, which moved every ratio by 15 %.
    const over = Object.fromEntries(CLIENTS.map((c) => [c, []]));
    const peerOver = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      peerOver.push(autocannon(srv.url, 1, stepS));
      for (const client of CLIENTS) {
        const o = runServebench(keyOf(`overload${workers}w`, client), srv.url, { rps: Math.round(p.autocannon * 2), duration: `${stepS}s`, warmup: '1s', workers, maxInFlight: 64, onSaturation: 'drop' }, 1, client);
        over[client].push(o.load.achievedRps);
      }
    }
    for (const client of CLIENTS) {
      const overRps = med(over[client]);
      Object.assign(results[keyOf(`ceiling${workers}w`, client)], { overloadRps: overRps, overloadRuns: over[client], autocannonInterleaved: peerOver, overloadRatioToAutocannon: Math.round((overRps / med(peerOver)) * 1000) / 1000 });
      table.push([`throughput at overload, ${w}, ${client} client (median of ${over[client].length}, maxInFlight = 64 connections)`, `${Math.round(overRps)} req/s`, `vs autocannon run between them ${Math.round(med(peerOver))}: ${ratioText(overRps, med(peerOver))}`, `runs ${over[client].map(Math.round).join(' / ')} vs ${peerOver.map(Math.round).join(' / ')}`]);
    }
  } finally {
    await srv.stop();
  }
}
const ceilings = {};

/**
 * The issue's target as a direct test, robust to a shared machine's drift: autocannon's closed loop
 * (64 connections, 10 s), then servebench asked to hold exactly that rate for 20 s in the open loop,
 * alternated, so each pair sees the same machine. A pair is held when achieved ≥ 99.5 % of the rate,
 * dropped < 0.1 % and no errors (the ceiling's own test).
 */
async function benchVsAutocannon() {
  // --factor 1.3: servebench is asked for 1.3 × autocannon's rate of the pair (the lean client's target).
  const factor = Number(optVal('--factor') ?? 1);
  const srv = await generatorServer();
  try {
    const pairs = [];
    for (let i = 0; i < (quick ? 1 : 5); i++) {
      const peer = Math.round(autocannon(srv.url, 1, quick ? 5 : 10));
      const rate = Math.round(peer * factor);
      for (const client of CLIENTS) {
        const s = runServebench(keyOf('vsautocannon', client), srv.url, { rps: rate, duration: `${confirmS}s`, warmup: '2s' }, 1, client);
        const pair = { client, autocannonRps: peer, askedRps: rate, achievedRps: s.load.achievedRps, dropped: s.totals.dropped, scheduleLagP99Ms: s.generator.scheduleLagP99Ms, held: sustainsRate(s) };
        pairs.push(pair);
        process.stderr.write(`  autocannon ${peer} req/s, then servebench (${client}) at ${factor} × that: achieved ${pair.achievedRps}, dropped ${pair.dropped}, ${pair.held ? 'held' : 'not held'}\n`);
      }
    }
    results.vsAutocannon = { server: serverName, factor, pairs, quick };
    for (const client of CLIENTS) {
      const mine = pairs.filter((p) => p.client === client);
      const held = mine.filter((p) => p.held).length;
      const ratios = mine.map((p) => p.achievedRps / p.autocannonRps);
      table.push([`${factor} × autocannon's rate held for ${confirmS} s, ${client} client, ${serverName} server`, `${held} of ${mine.length} pairs`, `achieved / autocannon ${ratios.map((r) => r.toFixed(3)).join(' / ')}`, `autocannon ${mine.map((p) => p.autocannonRps).join(' / ')} req/s`]);
    }
  } finally {
    await srv.stop();
  }
}

async function benchRates() {
  const srv = await generatorServer();
  try {
    results.rates = [];
    // Pinned beside its own main thread, a worker that spins between slots has no slack when anything
    // else on its core wakes; on both cores (the server stays on core 0) it has. Both placements are
    // measured, alternated, and each figure is the median of its runs: single runs here spread 3x.
    const reps = quick ? 1 : 3;
    const placements = [
      ['pinned', '1'],
      ['unpinned', '0,1'],
    ];
    for (const client of CLIENTS) {
      const ceiling = Number(optVal('--ceiling')) || ceilings[client]?.[1] || results[keyOf('ceiling1w', client)]?.servebenchRps;
      const rates = [1000, 10_000, ...(ceiling ? [ceiling] : [])];
      if (!ceiling) process.stderr.write(`  rates, ${client} client: no ceiling measured (run \`ceiling\` first or pass --ceiling N): 1k and 10k only\n`);
      for (const r of rates) {
        const runs = { pinned: [], unpinned: [] };
        for (let i = 0; i < reps; i++) {
          for (const [name, cores] of placements) runs[name].push(runServebench(keyOf(`rate-${r}-${name}`, client), srv.url, { rps: r, duration: `${confirmS}s`, warmup: '2s' }, cores, client));
        }
        for (const [name] of placements) {
          const ss = runs[name];
          const achieved = med(ss.map((s) => s.load.achievedRps));
          const offPct = ((achieved - r) / r) * 100;
          const lags = ss.map((s) => s.generator.scheduleLagP99Ms);
          const dropped = ss.reduce((n, s) => n + s.totals.dropped, 0);
          const saturated = ss.filter((s) => s.generator.saturated).length;
          results.rates.push({ client, server: serverName, targetRps: r, generator: name, runs: ss.length, achievedRps: achieved, offPct, scheduleLagP99Ms: med(lags), scheduleLagP99MsRuns: lags, dispatchLagP99Ms: med(ss.map((s) => s.generator.dispatchLagMs.p99)), dropped, saturatedRuns: saturated });
          table.push([`rate ${r === ceiling ? `${r} (ceiling)` : r} rps, ${client} client, generator ${name}`, `achieved ${achieved} (${offPct.toFixed(2)} %)`, `scheduleLag p99 ${med(lags)} ms${ss.length > 1 ? ` (median; runs ${lags.join(' / ')})` : ''}`, `dropped ${dropped}`, saturated ? `SATURATED ${saturated}/${ss.length}` : 'healthy']);
        }
      }
    }
  } finally {
    await srv.stop();
  }
}

async function benchMemory() {
  const srv = await startServer({ core: 0 });
  try {
    // Quick mode keeps the shape (an early and a late sample) at a fraction of the length.
    const [early, late] = quick ? [20, 60] : [60, 300];
    const { summary: s, rss } = await runServebenchAsync('memory-5k', srv.url, { rps: 5000, duration: `${late + 5}s`, warmup: '0s' }, { sampleAtS: [early, late] });
    const growth = rss[late] - rss[early];
    results.memory = { rps: 5000, rssMb: rss, growthMb: growth, achievedRps: s.load.achievedRps, quick };
    table.push([`memory at 5k rps`, `RSS ${rss[early]} MB after ${early} s`, `${rss[late]} MB after ${late} s`, `growth ${growth} MB (bound 20 MB)`, growth <= 20 ? 'ok' : 'OVER']);
  } finally {
    await srv.stop();
  }
}

/**
 * Interleaved A/B of two builds: A, B, A, B … so that the machine's noise (other jobs on these two
 * cores) hits both alike. Figures: CPU µs per request at a fixed rate (lower is better) and the
 * achieved rate when asked for more than either can do, and scheduleLag p99 at the fixed rate.
 * `--client lean` measures the lean client (default undici); `--b-requests` turns on requests.csv.gz
 * for B only (`--a dist --b dist --b-requests`: what writing every request costs).
 */
async function benchAb() {
  const a = optVal('--a');
  const b = optVal('--b');
  if (!a || !b) throw new Error('ab needs --a DIR --b DIR (each a built dist/ folder)');
  const reps = Number(optVal('--reps') ?? (quick ? 3 : 5));
  const fixed = Number(optVal('--rate') ?? 10_000);
  const client = optVal('--client') ?? 'undici';
  // Throughput at overload ranks builds by what one worker can do; CPU per request and lag at a
  // fixed rate show what pacing costs below it.
  const over = Number(optVal('--over') ?? 30_000);
  const extraOf = { a: {}, b: argv.includes('--b-requests') ? { output: { requests: true } } : {} };
  const srv = await startServer({ core: 0 });
  const res = { a: { cpuUsPerReq: [], overAchieved: [], lagP99Ms: [] }, b: { cpuUsPerReq: [], overAchieved: [], lagP99Ms: [] } };
  try {
    for (let i = 0; i < reps; i++) {
      for (const [k, dir] of [['a', a], ['b', b]]) {
        const cliPath = join(dir, 'cli', 'main.js');
        // CPU per request in the steady state: ticks between 3 s and 3 + window s after the spawn
        // (start-up and warm-up are over by then, the run still going), over the requests planned
        // in that window (the rate is well under the ceiling, so achieved = planned; checked below).
        const window = quick ? 4 : 8;
        const { summary: s, cpuS } = await runServebenchAsync(`ab-${k}-fixed`, srv.url, { rps: fixed, duration: `${window + 3}s`, warmup: '1s' }, { cliPath, cpuAtS: [3, 3 + window], client, extra: extraOf[k] });
        const perReq = ((cpuS[3 + window] - cpuS[3]) / (fixed * window)) * 1e6;
        res[k].cpuUsPerReq.push(Math.round(perReq * 10) / 10);
        res[k].lagP99Ms.push(s.metrics.scheduleLag.p99);
        if (s.load.achievedRps < 0.99 * fixed) process.stderr.write(`  (ab ${k}: achieved ${s.load.achievedRps} of ${fixed}: CPU per request is approximate)\n`);
        if (!(over > 0)) {
          process.stderr.write(`  ab rep ${i + 1} ${k}: ${res[k].cpuUsPerReq.at(-1)} µs/req at ${fixed} rps\n`);
          continue;
        }
        const { summary: o } = await runServebenchAsync(`ab-${k}-over`, srv.url, { rps: over, duration: `${stepS}s`, warmup: '1s', maxInFlight: 64, onSaturation: 'drop' }, { cliPath, client, extra: extraOf[k] });
        res[k].overAchieved.push(o.load.achievedRps);
        process.stderr.write(`  ab rep ${i + 1} ${k}: ${res[k].cpuUsPerReq.at(-1)} µs/req at ${fixed} rps, ${o.load.achievedRps} rps at overload\n`);
      }
    }
  } finally {
    await srv.stop();
  }
  const medOf = (r) => ({ cpuUsPerReq: med(r.cpuUsPerReq), overAchieved: med(r.overAchieved), lagP99Ms: med(r.lagP99Ms) });
  results.ab = { a, b, client, reps, fixed, over, ...res, median: { a: medOf(res.a), b: medOf(res.b) } };
  table.push([`A/B scheduleLag p99 at ${fixed} rps, ${client} (median of ${reps})`, `A ${med(res.a.lagP99Ms)} ms`, `B ${med(res.b.lagP99Ms)} ms`, `runs A ${res.a.lagP99Ms.join(' / ')}, B ${res.b.lagP99Ms.join(' / ')}`]);
  table.push([`A/B CPU per request at ${fixed} rps, ${client} (median of ${reps})`, `A ${med(res.a.cpuUsPerReq)} µs`, `B ${med(res.b.cpuUsPerReq)} µs`, `B/A ${(med(res.b.cpuUsPerReq) / med(res.a.cpuUsPerReq)).toFixed(3)}`]);
  if (over > 0) table.push([`A/B achieved at ${over} rps asked (median of ${reps})`, `A ${med(res.a.overAchieved)} rps`, `B ${med(res.b.overAchieved)} rps`, `B/A ${(med(res.b.overAchieved) / med(res.a.overAchieved)).toFixed(3)}`]);
}

/** The benches that live in their own script: run as a child, their table printed as they go. */
function script(file, args) {
  return () =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'bench', file), ...args], { stdio: 'inherit' });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench/${file} exited ${code}`))));
    });
}

const benches = {
  accuracy: benchAccuracy,
  exact: benchExact,
  ceiling: () => benchCeiling(1),
  ceiling2: () => benchCeiling(2),
  rates: benchRates,
  vsautocannon: benchVsAutocannon,
  memory: benchMemory,
  ab: benchAb,
  llm: script('llm.mjs', quick ? ['parser', 'exact'] : []),
  shard: script('shard.mjs', quick ? ['--rates', '2000', '--duration', '4'] : []),
  sweep: script('sweep.mjs', []),
  soak: script('soak.mjs', quick ? ['--minutes', '1'] : []),
  cpu: script('cpu.mjs', quick ? ['--quick'] : []),
};
const byDefault = ['accuracy', 'exact', 'ceiling', 'ceiling2', 'vsautocannon', 'rates', 'llm', 'shard', 'sweep'];
const chosen = argv.filter((a) => a in benches);
for (const name of chosen.length ? chosen : byDefault) {
  process.stderr.write(`bench ${name}…\n`);
  await benches[name]();
}
writeFileSync(join(outRoot, `bench${chosen.length ? `-${chosen.join('-')}` : ''}${quick ? '-quick' : ''}.json`), JSON.stringify({ at: new Date().toISOString(), node: process.version, quick, loadAverage: (await import('node:os')).loadavg(), results }, null, 2));
console.log('\nservebench bench' + (hasTaskset ? ' (server on core 0, generator on core 1 unless a row says otherwise)' : ' (taskset not found: unpinned)'));
for (const row of table) console.log(`  ${row.join('  |  ')}`);
console.log(`  (load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores: other jobs share this machine)`);
console.log(`\nfull results: bench/results/bench${chosen.length ? `-${chosen.join('-')}` : ''}${quick ? '-quick' : ''}.json`);
