/**
 * Test-only fault injection for the engine: lets tests prove that a worker thread which dies is
 * reported and the run ends cleanly, and that a worker thread kept busy is diagnosed as a busy
 * generator. Nothing here runs unless the variable below is set.
 *
 *   SERVEBENCH_TEST_WORKER_FAULT=<worker>:<afterMs>       worker <worker> throws, uncaught, afterMs
 *                                                         after its start (a crash of the thread)
 *   SERVEBENCH_TEST_WORKER_FAULT=busy:<worker>:<ms>       worker <worker> spins <ms> of every 100 ms
 *                                                         on its own thread (a generator with no time to spare)
 */
export const WORKER_FAULT_ENV = 'SERVEBENCH_TEST_WORKER_FAULT';

export function armWorkerFault(worker: number, env: NodeJS.ProcessEnv = process.env): NodeJS.Timeout | null {
  const v = env[WORKER_FAULT_ENV];
  if (!v) return null;
  const busy = /^busy:(\d+):(\d+)$/.exec(v);
  if (busy) {
    if (Number(busy[1]) !== worker) return null;
    const spinMs = Math.min(100, Number(busy[2]));
    return setInterval(() => {
      const until = performance.now() + spinMs;
      while (performance.now() < until);
    }, 100);
  }
  const m = /^(\d+):(\d+)$/.exec(v);
  if (!m || Number(m[1]) !== worker) return null;
  return setTimeout(() => {
    throw new Error(`injected fault: worker ${worker} crashed (${WORKER_FAULT_ENV})`);
  }, Number(m[2]));
}
