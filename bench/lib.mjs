// What every bench script shares: where things are, CPU pinning, and the trivial counting server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
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
/** The value after `flag` on the command line, or `dflt`. */
export const argOf = (flag, dflt) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
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

/**
 * Writes `<dir>/<name>.json`: one predict workload against the trivial server, with `load` on top of
 * the defaults, sent with the given HTTP client (target.client).
 */
export function predictScenario(dir, name, url, load, client = 'undici', extra = {}) {
  const f = join(dir, `${name}.json`);
  writeFileSync(
    f,
    JSON.stringify({
      name,
      target: { url, project: 'bench', deployment: 'trivial', timeout: '10s', client },
      workloads: [{ name: 'predict', kind: 'predict', model: 'm', body: { inputs: [[1, 2, 3, 4]] } }],
      load: { type: 'constant', workers: 1, connections: 64, maxInFlight: 10000, ...load },
      ...extra,
    }),
  );
  return f;
}

/**
 * nginx (one worker process, on the given core) answering every POST with a fixed JSON body: a
 * server that costs less per request than any Node server, so that the client's own cost decides a
 * closed loop's throughput. The reference figure (autocannon 71k req/s) was against nginx.
 * Returns null when nginx is not installed (`apt-get install nginx-light`).
 */
export async function startNginx({ cores = 0 } = {}) {
  if (!which('nginx')) return null;
  // nginx cannot listen on port 0: take a free port from the kernel and hand it over.
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'sb-nginx-'));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;\ndaemon off;\nerror_log ${dir}/error.log warn;\npid ${dir}/nginx.pid;\nevents { worker_connections 4096; }\n` +
      `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n` +
      `  keepalive_requests 100000000;\n  keepalive_timeout 300s;\n` +
      `  server {\n    listen 127.0.0.1:${port};\n    location / { default_type application/json; return 200 '{"predictions":[0]}'; }\n  }\n}\n`,
  );
  const [cmd, args] = pin(cores, 'nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 50 && !ready; i++) {
    ready = await fetch(`${url}/ready`, { method: 'POST' }).then((r) => r.ok, () => false);
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) {
    child.kill('SIGKILL');
    // The port may have been taken between our probe and nginx's bind: say so instead of benching a dead URL.
    throw new Error(`nginx did not answer on ${url} within 5 s (see ${dir}/error.log)`);
  }
  return {
    url,
    stop: () =>
      new Promise((r) => {
        child.once('exit', () => (rmSync(dir, { recursive: true, force: true }), r()));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Runs `cmd args` to the end on the given core(s) under /usr/bin/time; returns its exit status,
 * stdout, stderr and CPU seconds (user + system, every thread and child; null without /usr/bin/time).
 */
/** CPU seconds (user + system, every thread) a process has used, from /proc/<pid>/stat; null once it is gone. */
export function procCpuS(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ on Linux
  } catch {
    return null;
  }
}

/**
 * Spawns a command pinned to `cores` and reads its CPU seconds (user + system, every thread, from
 * /proc/<pid>/stat) at each second of `atS` after the spawn: the difference between two readings is
 * the steady state's cost, with start-up and shutdown left out. Resolves at exit with `cpuAt`.
 */
export function spawnSampled(cores, cmd, args, { env, atS = [] } = {}) {
  const [c, a] = pin(cores, cmd, args);
  const child = spawn(c, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const cpuAt = {};
  const timers = atS.map((t) => setTimeout(() => (cpuAt[t] = procCpuS(child.pid)), t * 1000));
  return new Promise((resolve) =>
    child.once('exit', (status) => {
      for (const t of timers) clearTimeout(t);
      resolve({ status, stdout, stderr, cpuAt });
    }),
  );
}

export function spawnTimed(cores, cmd, args, { env, timeFile } = {}) {
  const hasTime = existsSync('/usr/bin/time');
  const [c, a] = pin(cores, ...(hasTime ? ['/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd, ...args]] : [cmd, args]));
  const child = spawn(c, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    child.once('exit', (status) => {
      // The last line holds the figures: /usr/bin/time writes "Command exited with non-zero status" above them.
      const cpuS = hasTime && existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(/\s+/).map(Number).reduce((x, y) => x + y, 0) : null;
      resolve({ status, stdout, stderr, cpuS: cpuS === null ? null : Math.round(cpuS * 100) / 100 });
    }),
  );
}
