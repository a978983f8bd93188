// `node bench/llm.mjs [parser] [exact] [streams] [ttft] [--steps 250,500,…] [--ttft-streams 860] [--client undici|lean] [--dist DIR] [--label NAME]`
// (after `npm run build`): servebench's token timing against bench/llm-stream-server.mjs, whose
// token times are known exactly. Server pinned to core 1, servebench (one worker thread) to core 0.
//   parser  — CPU per chunk of servebench's own per-chunk path (SSE parser + itl recording), in process
//   exact   — first token at 150 ms, then one every 15 ms, ~200 streams in flight: ttft p50 (target
//             within 2 ms of 150), itl mean (within 0.5 ms of 15), output tokens = tokens the server sent
//   streams — ONE worker thread follows N streams at 20 tokens/s each (first token at 50 ms, then
//             every 50 ms), N stepped up; itl mean and p99 error against the gaps the server actually
//             produced in the same wall-clock seconds; the largest N with both errors under 1 ms
//   ttft    — ~860 streams (first token at 150 ms, then every 50 ms): ttft p99 against the server's
//             own, per client (target: within 5 ms)
// --dist runs another build (e.g. a copy of dist/ from before a change) for a side-by-side comparison.
// Results: bench/results/llm-<label>.json.
import { spawn, spawnSync } from 'node:child_process';
import { root, NODE_FLAGS, hasTaskset, pin, startBenchServer } from './lib.mjs';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const dist = resolve(opt('dist', join(root, 'dist')));
const label = opt('label', 'current');
/** target.client of the runs: undici (the default) or lean; `ttft` runs both unless one is named. */
const clientOpt = opt('client', null);
const client = clientOpt ?? 'undici';
const steps = opt('steps', '250,500,1000,1500,2000,3000').split(',').map(Number);
const ttftStreams = opt('ttft-streams', '860');
const parts = argv.length ? argv : ['parser', 'exact', 'streams', 'ttft'];
const cli = join(dist, 'cli', 'main.js');
const outRoot = join(root, 'bench', 'results');
mkdirSync(outRoot, { recursive: true });
const hdr = createRequire(import.meta.url)('hdr-histogram-js');
async function startServer(firstMs, gapMs) {
  const srv = await startBenchServer('llm-stream-server.mjs', { FIRST_MS: String(firstMs), GAP_MS: String(gapMs) }, 1);
  return {
    ...srv,
    stats: async () => (await fetch(`${srv.url}/__stats`)).json(),
    reset: async () => (await fetch(`${srv.url}/__reset`)).json(),
  };
}

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** CPU time (ms, user + system, all threads) of a process so far, from /proc. */
function cpuMsOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

/**
 * Runs the built CLI on core 0 and returns its summary.json, with `cpu`: samples of its CPU time
 * every 100 ms ([epoch ms, cpu ms]) so the bench can take the CPU spent inside the measured window.
 * CPU time, unlike wall time, does not grow when other processes take the core: it is the figure
 * that survives a busy machine.
 */
async function runServebench(name, url, { outputTokens, load, timeout = '60s', httpClient = client }) {
  const f = join(outRoot, `llm-${name}.json`);
  writeFileSync(
    f,
    JSON.stringify({
      name,
      target: { url, project: 'bench', deployment: 'llm', timeout, client: httpClient },
      workloads: [{ name: 'chat', kind: 'chat', model: 'm', stream: true, prompt: { inputTokens: 16, outputTokens } }],
      load: { type: 'constant', workers: 1, ...load },
    }),
  );
  const out = join(outRoot, `llm-${name}`);
  rmSync(out, { recursive: true, force: true });
  // NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the generator
  const nodeArgs = [...NODE_FLAGS, ...(process.env.NODE_ARGS ? process.env.NODE_ARGS.split(' ') : [])];
  const [cmd, args] = pin(0, process.execPath, [...nodeArgs, cli, 'run', f, '--out', out, '--quiet']);
  const child = spawn(cmd, args, { env: { ...process.env, HOPSWORKS_API_KEY: 'bench' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const cpu = [];
  const poll = setInterval(() => cpu.push([Date.now(), cpuMsOf(child.pid)]), 100);
  const status = await new Promise((res) => child.once('exit', res));
  clearInterval(poll);
  if (!existsSync(join(out, 'summary.json'))) throw new Error(`servebench run failed (${status}): ${stderr}`);
  return { ...JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), cpu };
}

/** CPU ms the generator spent between two epoch instants (interpolated from the 100 ms samples). */
function cpuBetween(samples, fromMs, toMs) {
  const at = (t) => {
    let prev = samples[0];
    for (const s of samples) {
      if (s[0] >= t) return prev[0] === s[0] ? s[1] : prev[1] + ((s[1] - prev[1]) * (t - prev[0])) / (s[0] - prev[0]);
      prev = s;
    }
    return prev[1];
  };
  return at(toMs) - at(fromMs);
}

/** The server's actual gaps (or, with `ttft`, its times to first token) over the whole seconds of [fromMs, toMs) (epoch ms). */
function serverGaps(stats, fromMs, toMs, series = stats.seconds) {
  const acc = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  for (const [s, b64] of Object.entries(series)) {
    const sec = Number(s);
    if (sec * 1000 < fromMs || (sec + 1) * 1000 > toMs) continue;
    const h = hdr.decodeFromCompressedBase64(b64, 64, false);
    acc.add(h);
  }
  return { count: acc.totalCount, meanMs: acc.mean / 1000, p50Ms: acc.getValueAtPercentile(50) / 1000, p99Ms: acc.getValueAtPercentile(99) / 1000 };
}

const r3 = (x) => Math.round(x * 1000) / 1000;

/** Tokens the server sent in the whole seconds inside [fromMs, toMs) (epoch ms), and those seconds' bounds. */
function tokensInWindow(stats, fromMs, toMs) {
  let tokensIn = 0;
  let firstSec = Infinity;
  let lastSec = -Infinity;
  for (const [sec, c] of Object.entries(stats.tokensPerSecond)) {
    const t = Number(sec) * 1000;
    if (t >= fromMs && t + 1000 <= toMs) {
      tokensIn += c;
      firstSec = Math.min(firstSec, t);
      lastSec = Math.max(lastSec, t + 1000);
    }
  }
  return { tokensIn, firstSec, lastSec };
}
const results = { label, client, dist, pinned: hasTaskset, at: new Date().toISOString() };
const table = [];

async function benchExact() {
  // 64 tokens: 150 + 63 × 15 = 1,095 ms per stream; 183 rps keeps ~200 streams in flight.
  const tokens = 64;
  const streamMs = 150 + (tokens - 1) * 15;
  const rps = Math.round((200 / streamMs) * 1000);
  const srv = await startServer(150, 15);
  try {
    await srv.reset();
    const s = await runServebench('exact', srv.url, { outputTokens: tokens, load: { rps, duration: '10s', connections: 400, maxInFlight: 1000 } });
    const st = await srv.stats();
    const m = s.metrics;
    const inFlight = r3((rps * streamMs) / 1000);
    results.exact = {
      rps,
      streamsInFlight: inFlight,
      ttftP50Ms: m.ttft.p50,
      ttftP99Ms: m.ttft.p99,
      itlMeanMs: m.itl.mean,
      itlP99Ms: m.itl.p99,
      outputTokens: s.totals.outputTokens,
      serverTokensSent: st.tokensSent,
      itlCount: m.itl.count,
      ok: s.totals.ok,
      errors: s.totals.errors,
      pass: Math.abs(m.ttft.p50 - 150) <= 2 && Math.abs(m.itl.mean - 15) <= 0.5 && s.totals.outputTokens === st.tokensSent && s.totals.errors === 0,
    };
    table.push(['exact: 150 ms + 15 ms/token', `~${Math.round(inFlight)} streams`, `ttft p50 ${m.ttft.p50} ms (Δ ${r3(m.ttft.p50 - 150)})`, `itl mean ${r3(m.itl.mean)} ms (Δ ${r3(m.itl.mean - 15)})`, `tokens ${s.totals.outputTokens} / server ${st.tokensSent}`, results.exact.pass ? 'PASS' : 'FAIL']);
  } finally {
    await srv.stop();
  }
}

async function benchStreams() {
  // 100 tokens at 20 tokens/s: 5 s per stream; rps = N / 5 keeps N in flight. 5 s of warm-up fills
  // the pipe, then 6 s are measured.
  const tokens = 100;
  const gap = 50;
  const streamMs = gap + (tokens - 1) * gap;
  results.streams = [];
  let best = 0;
  let bestMean = 0;
  for (const n of steps) {
    const srv = await startServer(gap, gap);
    try {
      const rps = r3((n / streamMs) * 1000);
      const s = await runServebench(`streams-${n}`, srv.url, { outputTokens: tokens, load: { rps, duration: '6s', warmup: '5s', connections: Math.ceil(n * 1.3), maxInFlight: Math.ceil(n * 1.5) } });
      const st = await srv.stats();
      const from = Date.parse(s.startedAt);
      const truth = serverGaps(st, from, from + s.durationS * 1000);
      const itl = s.metrics.itl;
      // CPU per token inside the measured window (whole seconds), and the streams that cost would
      // allow at 85 % of one core, the load at which queueing inside the worker stays well under 1 ms
      const { tokensIn, firstSec, lastSec } = tokensInWindow(st, from, from + s.durationS * 1000);
      const cpuMs = cpuBetween(s.cpu, firstSec, lastSec);
      const cpuUsPerToken = r3((cpuMs * 1000) / tokensIn);
      const projected = Math.floor((0.85e6 / cpuUsPerToken) / (1000 / gap));
      // the share of one core the generator used in that window (all its threads)
      const coreShare = r3(cpuMs / (lastSec - firstSec));
      const meanErr = r3(itl.mean - truth.meanMs);
      const p99Err = r3(itl.p99 - truth.p99Ms);
      // Two readings of "the itl error stays under 1 ms": of the mean (as the 150/15 ms figure is
      // judged) and, stricter, of the p99, which also carries the worker's event-loop lag.
      const clean = s.totals.errors === 0 && s.totals.dropped === 0;
      const ok = clean && Math.abs(meanErr) < 1 && Math.abs(p99Err) < 1;
      if (ok) best = Math.max(best, n);
      if (clean && Math.abs(meanErr) < 1) bestMean = Math.max(bestMean, n);
      const row = { streams: n, rps, itlMeanMs: r3(itl.mean), itlP99Ms: itl.p99, serverMeanMs: r3(truth.meanMs), serverP99Ms: r3(truth.p99Ms), meanErrMs: meanErr, p99ErrMs: p99Err, ttftP50Ms: s.metrics.ttft?.p50, cpuUsPerToken, coreShare, projectedStreams: projected, loopLagP99Ms: s.generator.eventLoopLagMs.p99, loadAvg: r3(loadavg()[0]), errors: s.totals.errors, dropped: s.totals.dropped, elu: s.generator.maxEventLoopUtilization, cpuPercent: s.generator.cpuPercent, ok };
      results.streams.push(row);
      console.log(`  ${n} streams: itl mean ${row.itlMeanMs} (server ${row.serverMeanMs}, err ${meanErr}) p99 ${row.itlP99Ms} (server ${row.serverP99Ms}, err ${p99Err}) errors ${row.errors} dropped ${row.dropped} ELU ${row.elu} core ${coreShare} CPU ${cpuUsPerToken} µs/token → ~${projected} streams at 85 % of a core; load avg ${row.loadAvg} ${ok ? 'ok' : 'OVER'}`);
    } finally {
      await srv.stop();
    }
  }
  results.maxStreams = best;
  results.maxStreamsMeanErr = bestMean;
  // Fixed costs (the scheduler's wait for the next slot, timers) are spread over fewer tokens at low
  // counts, so the marginal cost per token is best read at the largest step that kept up.
  const kept = results.streams.filter((r) => r.dropped === 0 && r.errors === 0 && r.cpuUsPerToken > 0);
  const top = kept.length ? kept[kept.length - 1] : results.streams[results.streams.length - 1];
  results.cpuUsPerTokenAtTop = top.cpuUsPerToken;
  results.coreShareAtTop = top.coreShare;
  results.topStreams = top.streams;
  results.projectedStreams = Math.floor((0.85e6 / top.cpuUsPerToken) / (1000 / gap));
  table.push(['streams: 1 worker, 20 tok/s each', `max streams with itl mean error < 1 ms: ${bestMean}; with mean and p99 error < 1 ms: ${best}`, `at ${results.topStreams} streams (largest without drops): ${results.cpuUsPerTokenAtTop} µs CPU/token, ${results.coreShareAtTop} of a core → ~${results.projectedStreams} streams at 85 % of one core`, '(target 2,000)', bestMean >= 2000 ? 'PASS (mean)' : 'FAIL']);
}

/**
 * CPU time of servebench's own per-chunk path, in process: SseTokenParser.push of vLLM chunks
 * (continuous usage, realistic id and model) plus the itl recording into an HDR histogram, one
 * request in 16 keeping its text as the divergence sampling does. No network: this is the part of
 * the per-token cost that servebench's code controls (undici and the socket reads are the rest).
 */
async function benchParser() {
  const { SseTokenParser, recordItl } = await import(join(dist, 'protocol', 'index.js'));
  const { newRecorder } = await import(join(dist, 'metrics', 'hdr.js'));
  const h = newRecorder();
  const rec = (v, n) => h.recordValueWithCount(v, n);
  const chunks = [];
  for (let i = 1; i <= 100; i++) {
    const fin = i === 100 ? '"length"' : 'null';
    chunks.push(Buffer.from(`data: {"id":"chatcmpl-4f8a2c0e9b7d4e1f8a2c0e9b7d4e1f8a","object":"chat.completion.chunk","created":1732680000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":${fin}}],"usage":{"prompt_tokens":512,"total_tokens":${512 + i},"completion_tokens":${i}}}\n\n`));
  }
  chunks.push(Buffer.from('data: [DONE]\n\n'));
  let last = NaN;
  const obs = { onToken(t, k) { if (last === last) recordItl(rec, t - last, k); last = t; } };
  const p = new SseTokenParser('chat');
  const run = (reqs) => {
    for (let r = 0; r < reqs; r++) {
      p.reset(obs, r % 16 === 0);
      last = NaN;
      let t = 0;
      for (const c of chunks) p.push(c, (t += 50));
      p.end(t);
    }
  };
  run(2000);
  const samples = [];
  for (let k = 0; k < 5; k++) {
    const c0 = process.cpuUsage();
    run(4000);
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / (4000 * chunks.length));
  }
  samples.sort((a, b) => a - b);
  results.parser = { cpuUsPerChunk: r3(samples[2]), runs: samples.map(r3) };
  table.push(['parser: per-chunk path in process', `${results.parser.cpuUsPerChunk} µs CPU per chunk (median of 5)`]);
}

/**
 * TTFT against the server's own at ~860 streams per worker (issue 23's setting): first token at
 * 150 ms, then one every 50 ms, 40 tokens (2.1 s a stream), 2 s of warm-up. The server stamps when
 * it wrote each first token; its p99 over the requests that arrived in the measured seconds is the
 * truth the generator's ttft p99 is held to (target: within 5 ms).
 */
async function benchTtft() {
  results.ttft = [];
  for (const c of clientOpt ? [clientOpt] : ['undici', 'lean']) await ttftOf(c);
}

async function ttftOf(httpClient) {
  const n = Number(ttftStreams);
  const tokens = 40;
  const streamMs = 150 + (tokens - 1) * 50;
  const rps = r3((n / streamMs) * 1000);
  const srv = await startServer(150, 50);
  try {
    await srv.reset();
    const s = await runServebench(`ttft-${n}-${httpClient}`, srv.url, { httpClient, outputTokens: tokens, load: { rps, duration: '10s', warmup: '2s', connections: Math.ceil(n * 1.3), maxInFlight: Math.ceil(n * 1.5) } });
    const st = await srv.stats();
    const from = Date.parse(s.startedAt);
    const truth = serverGaps(st, from, from + s.durationS * 1000, st.ttft);
    const m = s.metrics;
    const { tokensIn, firstSec, lastSec } = tokensInWindow(st, from, from + s.durationS * 1000);
    const cpuUsPerToken = r3((cpuBetween(s.cpu, firstSec, lastSec) * 1000) / tokensIn);
    const errP99 = r3(m.ttft.p99 - truth.p99Ms);
    const row = { client: httpClient, streams: n, rps, ttftP50Ms: m.ttft.p50, ttftP99Ms: m.ttft.p99, serverP50Ms: r3(truth.p50Ms), serverP99Ms: r3(truth.p99Ms), serverCount: truth.count, p99ErrMs: errP99, scheduleLagP99Ms: m.scheduleLag.p99, loopLagP99Ms: s.generator.eventLoopLagMs.p99, saturated: s.generator.saturated, warnings: s.generator.warnings ?? [], cpuUsPerToken, cpuPercent: s.generator.cpuPercent, errors: s.totals.errors, dropped: s.totals.dropped, pass: errP99 <= 5 && s.totals.errors === 0 && s.totals.dropped === 0 };
    results.ttft.push(row);
    table.push([`ttft: ${n} streams, 150 ms + 50 ms/token, ${httpClient}`, `ttft p50 ${m.ttft.p50} / p99 ${m.ttft.p99} ms against the server's ${r3(truth.p50Ms)} / ${r3(truth.p99Ms)} (p99 Δ ${errP99})`, `scheduleLag p99 ${m.scheduleLag.p99} ms, loop lag p99 ${s.generator.eventLoopLagMs.p99} ms, ${cpuUsPerToken} µs CPU/token, saturated ${s.generator.saturated}`, row.pass ? 'PASS (≤ 5 ms)' : 'FAIL']);
  } finally {
    await srv.stop();
  }
}

if (parts.includes('parser')) await benchParser();
if (parts.includes('ttft')) await benchTtft();
if (parts.includes('exact')) await benchExact();
if (parts.includes('streams')) await benchStreams();
writeFileSync(join(outRoot, `llm-${label}.json`), JSON.stringify(results, null, 2));
console.log(`\nservebench LLM bench (${label}; ${hasTaskset ? 'server on core 1, servebench on core 0' : 'not pinned: taskset missing'})`);
for (const r of table) console.log(r.join('  |  '));
if (results.streams) {
  console.log('\nstreams  itl mean  server mean  mean err  itl p99  server p99  p99 err  loop lag p99  ELU    core  CPU µs/token  load avg  errors  dropped');
  for (const r of results.streams) console.log(`${String(r.streams).padStart(7)}  ${String(r.itlMeanMs).padStart(8)}  ${String(r.serverMeanMs).padStart(11)}  ${String(r.meanErrMs).padStart(8)}  ${String(r.itlP99Ms).padStart(7)}  ${String(r.serverP99Ms).padStart(10)}  ${String(r.p99ErrMs).padStart(7)}  ${String(r.loopLagP99Ms).padStart(12)}  ${String(r.elu).padStart(5)}  ${String(r.coreShare).padStart(5)}  ${String(r.cpuUsPerToken).padStart(12)}  ${String(r.loadAvg).padStart(8)}  ${String(r.errors).padStart(6)}  ${String(r.dropped).padStart(7)}`);
}
