// What every bench script shares: where things are, CPU pinning, and the trivial counting server.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cli = join(root, 'dist', 'cli', 'main.js');
/**
 * node's flags for servebench and the bench servers, as servebench's own command sets them
 * (src/engine/coordinator.ts says why): V8's GC helper threads otherwise compete for the pinned core.
 */
export const NODE_FLAGS = ['--single-threaded-gc'];
export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
/** [cmd, args] that run `cmd args` on the given core(s) ('1', 1 or '0,1'), or unpinned without taskset. */
export const pin = (cores, cmd, args) => (hasTaskset ? ['taskset', ['-c', String(cores), cmd, ...args]] : [cmd, args]);
export const which = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;

/** Starts bench/<script> on the given core(s); the script prints its port on stdout. */
export async function startBenchServer(script, env, cores) {
  // The server too: pinned to one core, V8's GC helper threads stalled it for milliseconds, its 64
  // connections filled, and the requests queued behind them showed up as the generator's scheduleLag.
  const [cmd, args] = pin(cores, process.execPath, [...NODE_FLAGS, join(root, 'bench', script)]);
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
  };
}

/** bench/trivial-server.mjs on the given core(s): counts POSTs, answers after exactly `delayMs`. */
export async function startTrivialServer({ delayMs = 0, cores = 0 } = {}) {
  const srv = await startBenchServer('trivial-server.mjs', { DELAY_MS: String(delayMs) }, cores);
  return {
    ...srv,
    count: async () => Number(await (await fetch(`${srv.url}/__count`)).text()),
    reset: async () => fetch(`${srv.url}/__reset`).then((r) => r.text()),
  };
}

/** Writes `<dir>/<name>.json`: one predict workload against the trivial server, with `load` on top of the defaults. */
export function predictScenario(dir, name, url, load) {
  const f = join(dir, `${name}.json`);
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
