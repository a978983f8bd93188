/**
 * The parent side of startMockInThread(): a MockServer whose server runs in a worker thread.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mockConfigFrom, type MockConfig } from './config.js';
import type { MockListenOptions, MockServer } from './server.js';
import type { MockStats } from './stats.js';
import type { FromThread, ThreadData, ToThread } from './thread.js';

/**
 * The compiled thread entry. Built code runs from dist/mock/*.js and finds thread.js next to it;
 * under vitest this file is src/mock/client.ts, and a Worker cannot load .ts on Node 20, so the
 * build output dist/mock/thread.js is used (`npm test` builds first).
 */
export function threadEntryPath(): string {
  const here = import.meta.url;
  const url = /\.[cm]?ts$/.test(new URL(here).pathname) ? new URL('../../dist/mock/thread.js', here) : new URL('./thread.js', here);
  return fileURLToPath(url);
}

function copy(s: MockStats): MockStats {
  return { ...s, byRoute: { ...s.byRoute }, byStatus: { ...s.byStatus }, byRouting: { ...s.byRouting } };
}

type Ready = Extract<FromThread, { type: 'ready' }>;

/** The thread's `ready` message, or its failure to listen (the thread is then terminated). */
function untilListening(worker: Worker): Promise<Ready> {
  return new Promise<Ready>((resolve, reject) => {
    const onMessage = (m: FromThread): void => {
      if (m.type === 'ready') {
        cleanup();
        resolve(m);
      } else if (m.type === 'failed') {
        cleanup();
        void worker.terminate();
        reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`mock thread exited with code ${code} before listening`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Starts the mock gateway in a worker thread; rejects with the thread's error if it cannot listen. */
export async function startMockInThread(cfg?: Partial<MockConfig>, opts: MockListenOptions = {}): Promise<MockServer> {
  const resolved = mockConfigFrom(cfg ?? {}); // invalid config throws here, in the caller's thread
  const entry = threadEntryPath();
  if (!existsSync(entry)) {
    throw new Error(`mock thread entry ${entry} not found: run \`npm run build\` first`);
  }
  const data: ThreadData = { cfg: resolved, opts: { host: opts.host, port: opts.port } };
  const worker = new Worker(entry, { workerData: data });

  let nextId = 0;
  const pending = new Map<number, { resolve: (m: FromThread) => void; reject: (e: Error) => void }>();
  let exited = false;
  let exitError: Error | undefined;

  const ready = await untilListening(worker);
  let snapshot = ready.stats;

  // Snapshots the thread pushed before it handled a reset are stale: skip them until the reset's
  // reply (messages on the port keep their order).
  let resetsPending = 0;
  worker.on('message', (m: FromThread) => {
    if (m.type === 'stats' && (m.id !== undefined || resetsPending === 0)) snapshot = m.stats;
    if ((m.type === 'stats' || m.type === 'done') && m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      p?.resolve(m);
    }
  });
  worker.on('error', (e) => {
    exitError = e;
  });
  const exitedP = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      exited = true;
      const e = exitError ?? new Error(`mock thread exited with code ${code}`);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
      resolve();
    }),
  );

  const call = (type: ToThread['type']): Promise<FromThread> => {
    if (exited) return Promise.reject(exitError ?? new Error('mock thread is not running'));
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ type, id } satisfies ToThread);
    });
  };

  let closing: Promise<void> | undefined;
  return {
    url: ready.url,
    port: ready.port,
    stats: () => copy(snapshot),
    statsAsync: async () => {
      const m = await call('stats');
      return copy((m as { stats: MockStats }).stats);
    },
    resetStats: () => {
      snapshot = { requests: 0, byRoute: {}, byStatus: {}, byRouting: { path: 0, host: 0 }, tokensSent: 0 };
      resetsPending++;
      call('reset')
        .catch(() => undefined)
        .finally(() => resetsPending--);
    },
    close: () =>
      (closing ??= (async () => {
        if (!exited) {
          await call('close').catch(() => undefined);
          await worker.terminate();
        }
        await exitedP;
      })()),
  };
}
