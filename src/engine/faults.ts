/**
 * Test-only fault injection for the engine: lets tests prove that a worker thread which dies is
 * reported and the run ends cleanly. Nothing here runs unless the variable below is set.
 *
 *   SERVEBENCH_TEST_WORKER_FAULT=<worker>:<afterMs>   worker <worker> throws, uncaught, afterMs
 *                                                     after its start (a crash of the thread)
 */
export const WORKER_FAULT_ENV = 'SERVEBENCH_TEST_WORKER_FAULT';

export function armWorkerFault(worker: number, env: NodeJS.ProcessEnv = process.env): NodeJS.Timeout | null {
  const v = env[WORKER_FAULT_ENV];
  if (!v) return null;
  const m = /^(\d+):(\d+)$/.exec(v);
  if (!m || Number(m[1]) !== worker) return null;
  return setTimeout(() => {
    throw new Error(`injected fault: worker ${worker} crashed (${WORKER_FAULT_ENV})`);
  }, Number(m[2]));
}
