// What sharding costs: the same constant rate sent by
//   one process  — one servebench process with two worker threads (taskset -c 0,1), and by
//   two shards   — two servebench processes (`--shard 0/2` on core 0, `--shard 1/2` on core 1, one
//                  worker each, one common --start-at), then `servebench merge`,
// against bench/trivial-server.mjs (also on cores 0,1: the machine has two), at rates near the
// machine's ceiling. Columns: achieved rate, schedule lag p99 (sent − intended: the generator's own
// delay), dispatch lag p99, generator CPU seconds (sum over processes, start-up included, merge not)
// and per 1,000 requests, server count check,
// wall time of the processes (start-up and shut-down included) and of the merge.
// Run after `npm run build`:  node bench/shard.mjs [--rates 2000,4000] [--duration 6] [--repeats 1]
// Results: bench/results/shard.json and .md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root, cli, NODE_FLAGS, hasTaskset, pin, startTrivialServer, predictScenario } from './lib.mjs';

const outRoot = join(root, 'bench', 'results', 'shard');
rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });

const argOf = (flag, dflt) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const rates = argOf('--rates', '2000,4000').split(',').map(Number);
const durationS = Number(argOf('--duration', '6'));
const repeats = Number(argOf('--repeats', '1'));


const startServer = () => startTrivialServer({ cores: '0,1' });

const scenarioFile = (name, url, rps, workers) => predictScenario(outRoot, name, url, { rps, duration: `${durationS}s`, warmup: '0s', workers });

// CPU seconds of each process from /usr/bin/time (user + system, all threads, start-up included):
// the summary's cpuPercent divides by the process's wall time, which for a shard includes the idle
// wait for --start-at, so it cannot compare the two set-ups.
const hasTime = existsSync('/usr/bin/time');
let timeFiles = 0;

/** Spawns the CLI pinned to `cores`; resolves with its exit code, stderr and CPU seconds. */
function servebench(cores, args) {
  const timeFile = join(outRoot, `time-${timeFiles++}.txt`);
  const inner = hasTime ? ['/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, ...NODE_FLAGS, cli, ...args]] : [process.execPath, [...NODE_FLAGS, cli, ...args]];
  const [cmd, a] = pin(cores, inner[0], inner[1]);
  const child = spawn(cmd, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  return new Promise((res) =>
    child.on('exit', (code) => {
      const cpuS = hasTime && existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number).reduce((x, y) => x + y, 0) : null;
      res({ code, stderr, cpuS });
    }),
  );
}

const summaryOf = (dir) => {
  if (!existsSync(join(dir, 'summary.json'))) throw new Error(`no summary in ${dir}`);
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
};

function row(config, rps, s, serverCount, wallS, mergeS, cpuS) {
  return {
    config,
    targetRps: rps,
    achievedRps: s.load.achievedRps,
    achievedPct: Math.round((s.load.achievedRps / rps) * 1000) / 10,
    sent: s.totals.sent,
    serverCount,
    dropped: s.totals.dropped,
    errors: s.totals.errors,
    scheduleLagP99Ms: s.metrics.scheduleLag?.p99 ?? null,
    dispatchLagP99Ms: s.generator.dispatchLagMs.p99,
    latencyP99Ms: s.metrics.latency?.p99 ?? null,
    cpuS: cpuS === null ? null : Math.round(cpuS * 100) / 100,
    cpuMsPer1kReq: cpuS === null ? null : Math.round((cpuS * 1000) / (s.totals.sent / 1000)),
    wallS: Math.round(wallS * 10) / 10,
    mergeS: mergeS === null ? null : Math.round(mergeS * 100) / 100,
  };
}

async function oneProcess(server, rps, tag) {
  const name = `single-${rps}-${tag}`;
  const out = join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  await server.reset();
  const t0 = performance.now();
  const r = await servebench('0,1', ['run', scenarioFile(name, server.url, rps, 2), '--out', out, '--quiet']);
  const wallS = (performance.now() - t0) / 1000;
  if (r.code !== 0 && r.code !== 1) throw new Error(`run failed (${r.code}): ${r.stderr}`);
  return row('1 process × 2 workers', rps, summaryOf(out), await server.count(), wallS, null, r.cpuS);
}

async function twoShards(server, rps, tag) {
  const name = `shards-${rps}-${tag}`;
  const f = scenarioFile(name, server.url, rps, 1);
  await server.reset();
  // Far enough ahead for both processes to start on a busy machine (start-up is not measured).
  const startAt = Date.now() + 8000;
  const t0 = performance.now();
  const runs = await Promise.all(
    [0, 1].map((i) => servebench(String(i), ['run', f, '--shard', `${i}/2`, '--start-at', String(startAt), '--out', join(outRoot, `${name}-s${i}`), '--quiet'])),
  );
  const wallS = (performance.now() - t0) / 1000;
  for (const r of runs) if (r.code !== 0 && r.code !== 1) throw new Error(`shard failed (${r.code}): ${r.stderr}`);
  const m0 = performance.now();
  const merged = join(outRoot, `${name}-merged`);
  rmSync(merged, { recursive: true, force: true });
  const m = await servebench('0,1', ['merge', join(outRoot, `${name}-s0`), join(outRoot, `${name}-s1`), '--out', merged]);
  if (m.code !== 0 && m.code !== 1) throw new Error(`merge failed (${m.code}): ${m.stderr}`);
  const mergeS = (performance.now() - m0) / 1000;
  const cpuS = runs.every((r) => r.cpuS !== null) ? runs.reduce((x, r) => x + r.cpuS, 0) : null;
  return row('2 shards × 1 worker (merged)', rps, summaryOf(merged), await server.count(), wallS, mergeS, cpuS);
}

const server = await startServer();
const rows = [];
try {
  for (const rps of rates) {
    for (let k = 0; k < repeats; k++) {
      // Alternate the order so neither configuration always runs on a warmer (or busier) machine.
      const pair = k % 2 === 0 ? [oneProcess, twoShards] : [twoShards, oneProcess];
      for (const f of pair) rows.push(await f(server, rps, k));
    }
  }
} finally {
  await server.stop();
}

const cols = [
  ['config', 'config'],
  ['target rps', 'targetRps'],
  ['achieved rps', 'achievedRps'],
  ['%', 'achievedPct'],
  ['sent', 'sent'],
  ['server', 'serverCount'],
  ['dropped', 'dropped'],
  ['sched lag p99 ms', 'scheduleLagP99Ms'],
  ['dispatch p99 ms', 'dispatchLagP99Ms'],
  ['latency p99 ms', 'latencyP99Ms'],
  ['CPU s', 'cpuS'],
  ['CPU ms/1k req', 'cpuMsPer1kReq'],
  ['wall s', 'wallS'],
  ['merge s', 'mergeS'],
];
const cell = (v) => (v === null || v === undefined ? '—' : String(v));
const widths = cols.map(([h, k]) => Math.max(h.length, ...rows.map((r) => cell(r[k]).length)));
const line = (vals) => vals.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
const table = [line(cols.map(([h]) => h)), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map(([, k]) => cell(r[k]))))].join('\n');
const head = `servebench shard bench: ${durationS} s per run, ${repeats} repeat(s), ${hasTaskset ? 'pinned with taskset' : 'NOT pinned (no taskset)'}, load average ${(await import('node:os')).loadavg()[0].toFixed(2)} at the end`;
console.log(head);
console.log(table);
writeFileSync(join(root, 'bench', 'results', 'shard.json'), JSON.stringify({ durationS, repeats, rates, rows }, null, 2) + '\n');
writeFileSync(join(root, 'bench', 'results', 'shard.md'), `${head}\n\n\`\`\`\n${table}\n\`\`\`\n`);
