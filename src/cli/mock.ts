/**
 * `servebench mock`: the built-in gateway on a port, configured from an optional JSON file.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ServebenchError } from '../errors.js';
import { startMock, mockConfigFrom } from '../mock/index.js';
import type { Out } from './out.js';

export async function cmdMock(opts: { port: number; host: string; config?: string }, o: Out): Promise<{ close(): Promise<void> }> {
  let raw: unknown = {};
  if (opts.config) {
    try {
      raw = JSON.parse(readFileSync(opts.config, 'utf8'));
    } catch (err) {
      throw new ServebenchError('E_FILE', `${opts.config}: ${(err as Error).message}`);
    }
  }
  let cfg;
  try {
    cfg = mockConfigFrom(raw);
  } catch (err) {
    throw new ServebenchError('E_USAGE', `${opts.config ? basename(opts.config) : 'mock config'}: ${(err as Error).message}`);
  }
  const m = await startMock(cfg, { port: opts.port, host: opts.host });
  o.out(`servebench mock gateway listening on ${m.url}`);
  return m;
}
