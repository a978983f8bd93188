// `node bench/sweep.mjs` (after `npm run build`): how close `servebench sweep` gets to a known
// capacity, and how long it takes, side by side with a plain ladder of 10 steps.
//
// Three embedded-mock configurations whose capacity is known by construction:
//   predict-4x20ms  4 slots × 20 ms                      → 4 / 0.020 s        = 200 rps
//   predict-16x100ms 16 slots × 100 ms                   → 16 / 0.100 s       = 160 rps
//   chat-b4         maxBatch 4, 20 output tokens at 10 ms → 4 / (1 + 19×10) ms ≈ 20.9 rps
// For each: a search (bracket by doubling from `from`, bisect to 5 %) and a plain ladder of 10
// evenly spaced rates over the same range (every step run, no early stop). Both use the same step
// length and conditions, so the columns compare like with like. Results: bench/results/sweep.json.
// Capacities stay in the hundreds: on a shared 2-core machine the embedded mock and the generator
// (same process, own threads) top out near 500 rps, and above that a sweep measures the machine
// (its steps then say `generatorSaturated`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { parseScenarioText } = await import(join(root, 'dist', 'scenario', 'index.js'));
const { startSweep } = await import(join(root, 'dist', 'sweep', 'run.js'));
const outRoot = join(root, 'bench', 'results');
mkdirSync(outRoot, { recursive: true });

const STEP = 'stepDuration: 1500ms, warmup: 500ms, maxRepeats: 1';

const CONFIGS = [
  {
    name: 'predict-4x20ms',
    capacity: 4 / 0.02,
    from: 50,
    to: 500,
    until: '["latency.p90 < 60ms", "errors.rate < 1%"]',
    target: 'mock: { serviceTime: { type: fixed, ms: 20 }, slots: 4 }',
    workload: '{ name: p, kind: predict, model: fraud, body: { inputs: [[1]] } }',
  },
  {
    name: 'predict-16x100ms',
    capacity: 16 / 0.1,
    from: 20,
    to: 500,
    until: '["latency.p90 < 300ms", "errors.rate < 1%"]',
    target: 'mock: { serviceTime: { type: fixed, ms: 100 }, slots: 16 }',
    workload: '{ name: p, kind: predict, model: fraud, body: { inputs: [[1]] } }',
  },
  {
    name: 'chat-b4',
    capacity: 4 / ((1 + 19 * 10) / 1000),
    from: 4,
    to: 50,
    until: '["ttft.p90 < 60ms"]',
    target: 'mock: { llm: { prefillMsPerToken: 0.05, decodeMsPerToken: 10, decodeSlowdownPerStream: 0, maxBatch: 4 } }',
    workload: '{ name: chat, kind: chat, model: m, prompt: { inputTokens: 20, outputTokens: 20 }, ignoreEos: true }',
  },
];

function scenario(c, sweep) {
  const text = [
    `name: bench-${c.name}`,
    `target: { url: embedded, deployment: fraud, ${c.target} }`,
    'workloads:',
    `  - ${c.workload}`,
    'load: { rps: 1, connections: 64 }',
    `sweep: ${sweep}`,
    '',
  ].join('\n');
  return parseScenarioText(text, '').scenario;
}

async function sweepOnce(c, mode) {
  const sweep =
    mode === 'search'
      ? `{ mode: search, from: ${c.from}, to: ${c.to}, precision: 5%, ${STEP}, until: ${c.until} }`
      : `{ from: ${c.from}, to: ${c.to}, steps: 10, stopEarly: false, ${STEP}, until: ${c.until} }`;
  const r = await startSweep(scenario(c, sweep), { dir: join(outRoot, `sweep-${c.name}-${mode}`) }).done;
  const runs = r.steps.reduce((n, s) => n + s.attempts, 0);
  return { maxRate: r.answer.maxRate, knee: r.answer.knee, steps: r.steps.length, runs, elapsedS: r.elapsedS, generatorBound: r.answer.generatorBound };
}

const rows = [];
for (const c of CONFIGS) {
  process.stderr.write(`${c.name}: search…\n`);
  const search = await sweepOnce(c, 'search');
  process.stderr.write(`${c.name}: ladder of 10…\n`);
  const ladder = await sweepOnce(c, 'ladder');
  rows.push({ config: c.name, capacity: Math.round(c.capacity * 10) / 10, search, ladder });
}

const pct = (x, truth) => (x === null ? '—' : `${x >= truth ? '+' : ''}${(((x - truth) / truth) * 100).toFixed(1)} %`);
const table = [
  ['config', 'capacity', 'search max', 'error', 'steps (runs)', 'time', 'ladder max', 'error', 'steps (runs)', 'time', 'search/ladder time'],
  ...rows.map((r) => [
    r.config,
    `${r.capacity} rps`,
    `${r.search.maxRate ?? '—'} rps`,
    pct(r.search.maxRate, r.capacity),
    `${r.search.steps} (${r.search.runs})`,
    `${r.search.elapsedS.toFixed(1)} s`,
    `${r.ladder.maxRate ?? '—'} rps`,
    pct(r.ladder.maxRate, r.capacity),
    `${r.ladder.steps} (${r.ladder.runs})`,
    `${r.ladder.elapsedS.toFixed(1)} s`,
    (r.search.elapsedS / r.ladder.elapsedS).toFixed(2),
  ]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
const text = table.map((row) => row.map((v, i) => String(v).padEnd(widths[i])).join('  ')).join('\n');
console.log(text);
console.log(`\nsteps of 1.5 s after a 0.5 s warm-up; search precision 5 %; the ladder spaces 10 rates evenly over the same range.`);
writeFileSync(join(outRoot, 'sweep.json'), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2) + '\n');
