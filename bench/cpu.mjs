// What pacing a fixed rate costs: CPU seconds (user + system, all threads, from /usr/bin/time) per
// second of steady load, for servebench (target.client undici and lean), `hey -q` and
// `autocannon -R`, side by side against nginx (one worker on core 0), the generator on core 1,
// 16 connections. Each tool runs a short and a long run at each rate; the difference of their CPU
// seconds over the difference of their lengths takes out every tool's fixed start-up cost.
// servebench's scheduleLag p99 (from the long run's summary.json) is printed beside its figures.
// Run after `npm run build`:
//   node bench/cpu.mjs [--rates 200,2000,10000] [--short 3] [--long 10] [--reps 1] [--dist DIR]
//                      [--tools undici,lean,hey,autocannon] [--quick]
// (--dist measures another build's dist/ folder; --reps N alternates the tools N times and keeps medians.)
// Results: bench/results/cpu.json and cpu.md.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { root, cli, NODE_FLAGS, hasTaskset, which, startNginx, predictScenario, spawnTimed, argOf } from './lib.mjs';

const outRoot = join(root, 'bench', 'results', 'cpu');
rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });

const quick = process.argv.includes('--quick');
const rates = argOf('--rates', '200,2000,10000').split(',').map(Number);
const shortS = Number(argOf('--short', quick ? '2' : '3'));
const longS = Number(argOf('--long', quick ? '5' : '10'));
const reps = Number(argOf('--reps', '1'));
const cliPath = argOf('--dist') ? join(resolve(argOf('--dist')), 'cli', 'main.js') : cli;
const CONNECTIONS = 16;
const BODY = '{"inputs":[[1,2,3,4]]}';
const PATH = '/v1/bench/trivial/v1/models/m:predict';
const GENERATOR_CORE = 1;

/** The median (the upper one of an even count). */
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
let runs = 0;
const timeFile = () => join(outRoot, `time-${runs++}.txt`);

/** servebench with the given client: CPU seconds, achieved rate and scheduleLag p99 (ms). */
async function servebench(client, url, rps, seconds) {
  const name = `sb-${client}-${rps}-${seconds}s`;
  // One second of warm-up: the lag figure is the steady state's; both runs have it, so it cancels.
  const f = predictScenario(outRoot, name, url, { rps, duration: `${seconds}s`, warmup: '1s', connections: CONNECTIONS }, client);
  const out = join(outRoot, name);
  // A run refuses a folder that holds an earlier run's files: each repetition starts empty.
  rmSync(out, { recursive: true, force: true });
  const r = await spawnTimed(GENERATOR_CORE, process.execPath, [...NODE_FLAGS, cliPath, 'run', f, '--out', out, '--quiet'], { env: { HOPSWORKS_API_KEY: 'bench' }, timeFile: timeFile() });
  if (!existsSync(join(out, 'summary.json'))) throw new Error(`servebench run failed (${r.status}): ${r.stderr}`);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  return { cpuS: r.cpuS, achievedRps: s.load.achievedRps, scheduleLagP99Ms: s.metrics.scheduleLag?.p99 ?? null };
}

/** hey: -q is the rate of each of its -c workers. */
async function hey(url, rps, seconds) {
  const r = await spawnTimed(GENERATOR_CORE, 'hey', ['-z', `${seconds}s`, '-c', String(CONNECTIONS), '-q', String(rps / CONNECTIONS), '-m', 'POST', '-T', 'application/json', '-d', BODY, `${url}${PATH}`], { timeFile: timeFile() });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`hey failed (${r.status}): ${r.stderr || r.stdout.slice(0, 300)}`);
  return { cpuS: r.cpuS, achievedRps: Number(m[1]) };
}

/** autocannon: -R is the overall rate over all connections. */
async function autocannon(url, rps, seconds) {
  const bin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
  const r = await spawnTimed(GENERATOR_CORE, process.execPath, [bin, '-j', '-c', String(CONNECTIONS), '-d', String(seconds), '-R', String(rps), '-m', 'POST', '-H', 'content-type=application/json', '-b', BODY, `${url}${PATH}`], { timeFile: timeFile() });
  const j = JSON.parse(r.stdout);
  return { cpuS: r.cpuS, achievedRps: j.requests.total / seconds };
}

const chosen = argOf('--tools', 'undici,lean,hey,autocannon').split(',');
const tools = [
  { key: 'undici', name: 'servebench, undici', run: (u, r, s) => servebench('undici', u, r, s) },
  { key: 'lean', name: 'servebench, lean', run: (u, r, s) => servebench('lean', u, r, s) },
  ...(which('hey') ? [{ key: 'hey', name: 'hey -q', run: hey }] : []),
  { key: 'autocannon', name: 'autocannon -R', run: autocannon },
].filter((t) => chosen.includes(t.key));
if (!which('hey')) process.stderr.write('  hey is not installed (apt-get install hey): no ratios to hey\n');
if (!existsSync('/usr/bin/time')) throw new Error('bench cpu needs /usr/bin/time (apt-get install time)');

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
        const a = await t.run(nginx.url, rps, shortS);
        const b = await t.run(nginx.url, rps, longS);
        const cpuPerS = (b.cpuS - a.cpuS) / (longS - shortS);
        samples[t.name][rps].push({ cpuPerS, achievedRps: b.achievedRps, scheduleLagP99Ms: b.scheduleLagP99Ms ?? null, cpuShortS: a.cpuS, cpuLongS: b.cpuS });
        process.stderr.write(`  ${t.name} at ${rps} rps: ${cpuPerS.toFixed(3)} CPU-s/s (${a.cpuS} s in ${shortS} s, ${b.cpuS} s in ${longS} s), achieved ${Math.round(b.achievedRps)}${b.scheduleLagP99Ms != null ? `, scheduleLag p99 ${b.scheduleLagP99Ms} ms` : ''}\n`);
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
  `CPU seconds per second of steady load (user + system; ${longS} s run minus ${shortS} s run; ${reps > 1 ? `median of ${reps}` : '1 run'}), ` +
  `nginx on core 0, generator on core ${GENERATOR_CORE}${hasTaskset ? '' : ' (NOT pinned: no taskset)'}, ${CONNECTIONS} connections; load average ${loadavg()[0].toFixed(2)} at the end`;
const text = `${head}\n\n${md(rows)}\n\n${md([...lagRows, ...achievedRows])}\n`;
console.log(text);
writeFileSync(join(root, 'bench', 'results', 'cpu.md'), text);
writeFileSync(join(root, 'bench', 'results', 'cpu.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, rates, shortS, longS, reps, cli: cliPath, loadAverage: loadavg(), medians, samples }, null, 2) + '\n');
