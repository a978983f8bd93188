/**
 * Worker-thread entry of startMockInThread(): runs the mock gateway on its own event loop so a
 * load generator in the main thread does not share (and distort) it.
 *
 * Messages from the parent: {type: 'stats'|'reset'|'close', id}. Replies carry the same id.
 * The thread also pushes a stats snapshot every STATS_EVERY_MS so the parent's sync stats() is fresh.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startMock, type MockListenOptions } from './server.js';
import type { MockStats } from './stats.js';
import type { MockConfig } from './config.js';

export interface ThreadData {
  cfg: MockConfig;
  opts: MockListenOptions;
}

export type ToThread = { type: 'stats' | 'reset' | 'close'; id: number };
export type FromThread =
  | { type: 'ready'; url: string; port: number; stats: MockStats }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'stats'; id?: number; stats: MockStats }
  | { type: 'done'; id: number };

const STATS_EVERY_MS = 200;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('src/mock/thread.ts must run in a worker thread');
  const post = (m: FromThread): void => port.postMessage(m);
  const { cfg, opts } = workerData as ThreadData;
  let server;
  try {
    server = await startMock(cfg, opts);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    post({ type: 'failed', message: err.message, code: err.code });
    port.close();
    return;
  }
  const srv = server;
  post({ type: 'ready', url: srv.url, port: srv.port, stats: srv.stats() });
  const timer = setInterval(() => post({ type: 'stats', stats: srv.stats() }), STATS_EVERY_MS);
  timer.unref();
  port.on('message', (m: ToThread) => {
    switch (m.type) {
      case 'stats':
        post({ type: 'stats', id: m.id, stats: srv.stats() });
        break;
      case 'reset':
        srv.resetStats();
        post({ type: 'stats', id: m.id, stats: srv.stats() });
        break;
      case 'close':
        clearInterval(timer);
        void srv.close().then(() => {
          post({ type: 'done', id: m.id });
          port.close();
        });
        break;
    }
  });
}

void main();
