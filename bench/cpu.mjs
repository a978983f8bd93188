// What pacing a fixed rate costs: CPU seconds (user + system, all threads) per second of steady
// load, for servebench (target.client undici and lean), `hey -q` and `autocannon -R`, side by side
// against nginx (one worker on core 0), the generator on core 1, 16 connections. Each tool runs once
// per rate for --long seconds; its CPU is read from /proc/<pid>/stat at 3 s and 1 s before the end,
// so every tool's start-up and shutdown are left out (differencing a short and a long run scattered
// by ±0.5 CPU-s between runs). servebench's scheduleLag p99 (summary.json) is printed beside it.
// Run after `npm run build`:
//   node bench/cpu.mjs [--rates 200,2000,10000] [--long 10] [--reps 1] [--dist DIR] [--before DIR]
//                      [--tools undici,lean,hey,autocannon] [--quick]
// (--dist measures another build's dist/ folder instead; --before DIR adds that build's servebench
// beside this one's, alternated in the same run; --reps N alternates the tools N times, medians kept.)
// Results: bench/results/cpu.json and cpu.md.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { root, cli, NODE_FLAGS, hasTaskset, which, startNginx, predictScenario, spawnSampled, argOf } from './lib.mjs';

const outRoot = join(root, 'bench', 'results', 'cpu');
rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });

const quick = process.argv.includes('--quick');
const rates = argOf('--rates', '200,2000,10000').split(',').map(Number);
const longS = Number(argOf('--long', quick ? '6' : '10'));
/** The steady window: from 3 s after the spawn to 1 s before the load ends. */
const FROM_S = 3;
const TO_S = longS - 1;
const reps = Number(argOf('--reps', '1'));
const cliPath = argOf('--dist') ? join(resolve(argOf('--dist')), 'cli', 'main.js') : cli;
const CONNECTIONS = 16;
const BODY = '{"inputs":[[1,2,3,4]]}';
const PATH = '/v1/bench/trivial/v1/models/m:predict';
const GENERATOR_CORE = 1;

/** The median (the upper one of an even count). */
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const cpuPerS = (r) => {
  const a = r.cpuAt[FROM_S];
  const b = r.cpuAt[TO_S];
  if (a == null || b == null) throw new Error(`no CPU reading in the window (${FROM_S}–${TO_S} s): the run ended early (${r.status}): ${r.stderr.slice(0, 300)}`);
  return (b - a) / (TO_S - FROM_S);
};

/** servebench (of the build at `cli`) with the given client: CPU per second, achieved rate and scheduleLag p99 (ms). */
async function servebench(cli, client, url, rps, seconds) {
  const name = `sb-${client}-${rps}-${seconds}s`;
  // One second of warm-up: the lag figure is the steady state's.
  const f = predictScenario(outRoot, name, url, { rps, duration: `${seconds}s`, warmup: '1s', connections: CONNECTIONS }, client);
  const out = join(outRoot, name);
  // A run refuses a folder that holds an earlier run's files: each repetition starts empty.
  rmSync(out, { recursive: true, force: true });
  const r = await spawnSampled(GENERATOR_CORE, process.execPath, [...NODE_FLAGS, cli, 'run', f, '--out', out, '--quiet'], { env: { HOPSWORKS_API_KEY: 'bench' }, atS: [FROM_S, TO_S] });
  if (!existsSync(join(out, 'summary.json'))) throw new Error(`servebench run failed (${r.status}): ${r.stderr}`);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  return { cpuPerS: cpuPerS(r), achievedRps: s.load.achievedRps, scheduleLagP99Ms: s.metrics.scheduleLag?.p99 ?? null };
}

/** hey: -q is the rate of each of its -c workers. */
async function hey(url, rps, seconds) {
  const r = await spawnSampled(GENERATOR_CORE, 'hey', ['-z', `${seconds}s`, '-c', String(CONNECTIONS), '-q', String(rps / CONNECTIONS), '-m', 'POST', '-T', 'application/json', '-d', BODY, `${url}${PATH}`], { atS: [FROM_S, TO_S] });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`hey failed (${r.status}): ${r.stderr || r.stdout.slice(0, 300)}`);
  return { cpuPerS: cpuPerS(r), achievedRps: Number(m[1]) };
}

/** autocannon: -R is the overall rate over all connections. */
async function autocannon(url, rps, seconds) {
  const bin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
  const r = await spawnSampled(GENERATOR_CORE, process.execPath, [bin, '-j', '-c', String(CONNECTIONS), '-d', String(seconds), '-R', String(rps), '-m', 'POST', '-H', 'content-type=application/json', '-b', BODY, `${url}${PATH}`], { atS: [FROM_S, TO_S] });
  const j = JSON.parse(r.stdout);
  return { cpuPerS: cpuPerS(r), achievedRps: j.requests.total / seconds };
}

const chosen = argOf('--tools', 'undici,lean,hey,autocannon').split(',');
const before = argOf('--before') ? join(resolve(argOf('--before')), 'cli', 'main.js') : null;
const tools = [
  { key: 'undici', name: 'servebench, undici', run: (u, r, s) => servebench(cliPath, 'undici', u, r, s) },
  { key: 'lean', name: 'servebench, lean', run: (u, r, s) => servebench(cliPath, 'lean', u, r, s) },
  ...(before
    ? [
        { key: 'undici', name: 'servebench before, undici', run: (u, r, s) => servebench(before, 'undici', u, r, s) },
        { key: 'lean', name: 'servebench before, lean', run: (u, r, s) => servebench(before, 'lean', u, r, s) },
      ]
    : []),
  ...(which('hey') ? [{ key: 'hey', name: 'hey -q', run: hey }] : []),
  { key: 'autocannon', name: 'autocannon -R', run: autocannon },
].filter((t) => chosen.includes(t.key));
if (!which('hey')) process.stderr.write('  hey is not installed (apt-get install hey): no ratios to hey\n');

const nginx = await startNginx({ cores: 0 });
if (!nginx) throw new Error('bench cpu needs nginx (apt-get install nginx-light)');
/** samples[tool][rate] = [{ cpuPerS, achievedRps, scheduleLagP99Ms }] */
const samples = Object.fromEntries(tools.map((t) => [t.name, Object.fromEntries(rates.map((r) => [r, []]))]));
try {
  for (let k = 0; k < reps; k++) {
    // Rotate the tools' order each repetition so none always runs first on a fresh (or busy) machine.
    const order = tools.map((_, i) => tools[(i + k) % tools.length]);
    for (const rps of rates) {
      for (const t of order) {
        const b = await t.run(nginx.url, rps, longS);
        samples[t.name][rps].push({ cpuPerS: b.cpuPerS, achievedRps: b.achievedRps, scheduleLagP99Ms: b.scheduleLagP99Ms ?? null });
        process.stderr.write(`  ${t.name} at ${rps} rps: ${b.cpuPerS.toFixed(3)} CPU-s/s, achieved ${Math.round(b.achievedRps)}${b.scheduleLagP99Ms != null ? `, scheduleLag p99 ${b.scheduleLagP99Ms} ms` : ''}\n`);
      }
    }
  }
} finally {
  await nginx.stop();
}

const medians = Object.fromEntries(
  tools.map((t) => [
    t.name,
    Object.fromEntries(
      rates.map((r) => {
        const ss = samples[t.name][r];
        const lags = ss.map((s) => s.scheduleLagP99Ms).filter((x) => x !== null);
        return [r, { cpuPerS: med(ss.map((s) => s.cpuPerS)), achievedRps: med(ss.map((s) => s.achievedRps)), scheduleLagP99Ms: lags.length ? med(lags) : null }];
      }),
    ),
  ]),
);
const heyOf = (r) => medians['hey -q']?.[r]?.cpuPerS;
const fmtRate = (r) => r.toLocaleString('en-US');
const header = ['tool', ...rates.map((r) => `${fmtRate(r)} rps`)];
const rows = tools.map((t) => [
  t.name,
  ...rates.map((r) => {
    const m = medians[t.name][r];
    const h = heyOf(r);
    return `${m.cpuPerS.toFixed(3)}${h ? ` (${(m.cpuPerS / h).toFixed(1)}× hey)` : ''}`;
  }),
]);
const lagRows = tools
  .filter((t) => t.name.startsWith('servebench'))
  .map((t) => [`${t.name}: scheduleLag p99 ms`, ...rates.map((r) => String(medians[t.name][r].scheduleLagP99Ms))]);
const achievedRows = tools.map((t) => [`${t.name}: achieved rps`, ...rates.map((r) => String(Math.round(medians[t.name][r].achievedRps)))]);
const md = (rs) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rs.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const head =
  `CPU seconds per second of steady load (user + system, every thread, read from ${FROM_S} s to ${TO_S} s of a ${longS} s run; ${reps > 1 ? `median of ${reps}` : '1 run'}), ` +
  `nginx on core 0, generator on core ${GENERATOR_CORE}${hasTaskset ? '' : ' (NOT pinned: no taskset)'}, ${CONNECTIONS} connections; load average ${loadavg()[0].toFixed(2)} at the end`;
const text = `${head}\n\n${md(rows)}\n\n${md([...lagRows, ...achievedRows])}\n`;
console.log(text);
writeFileSync(join(root, 'bench', 'results', 'cpu.md'), text);
writeFileSync(join(root, 'bench', 'results', 'cpu.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, rates, longS, window: [FROM_S, TO_S], reps, before, cli: cliPath, loadAverage: loadavg(), medians, samples }, null, 2) + '\n');
