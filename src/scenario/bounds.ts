/**
 * Limits on settings that validate as numbers but cannot run: past them a worker spins building a
 * plan it cannot send, or runs out of memory before the first request. Each message says why.
 */
import type { ProblemList } from './source.js';
import type { Seg } from './messages.js';
import { DEFAULTS } from './schema.js';
import { isObject } from '../util/values.js';

/**
 * Slots one worker can schedule per second. A worker sends at most about 60,000 requests a second;
 * a plan far past that only burns the worker's time in dropped slots. Above this the plan is a typo.
 */
export const MAX_RPS_PER_WORKER = 1_000_000;
/** Each in-flight request holds its own context (about 650 bytes idle, measured) plus its response. */
export const MAX_IN_FLIGHT_PER_WORKER = 100_000;
/** Each workload keeps 16 histograms of about 70 KB in every worker (1.1 MB) and in the coordinator. */
export const MAX_WORKLOADS = 100;

const fmt = (n: number) => n.toLocaleString('en-US');

export function checkBounds(raw: Record<string, unknown>, problems: ProblemList): void {
  if (Array.isArray(raw.workloads) && raw.workloads.length > MAX_WORKLOADS) {
    problems.add(['workloads'], 'value', `${fmt(raw.workloads.length)} workloads: at most ${MAX_WORKLOADS}, since each keeps 16 histograms (about 1.1 MB) in every worker; merge workloads that share a model and kind, using bodies: for their payloads`);
  }
  const load = raw.load;
  if (!isObject(load)) return;
  const at: Seg[] = ['load'];
  const workers = typeof load.workers === 'number' && Number.isSafeInteger(load.workers) && load.workers >= 1 ? load.workers : DEFAULTS.workers;
  const maxRps = MAX_RPS_PER_WORKER * workers;
  const why = `one worker schedules at most ${fmt(MAX_RPS_PER_WORKER)} slots a second (and sends about 60,000); with ${workers} worker(s) the plan can be at most ${fmt(maxRps)} rps; add workers or shards`;
  if (typeof load.rps === 'number' && load.rps > maxRps) problems.add([...at, 'rps'], 'value', `${fmt(load.rps)} rps: ${why}`);
  if (Array.isArray(load.stages)) {
    load.stages.forEach((st, i) => {
      if (isObject(st) && typeof st.target === 'number' && st.target > maxRps) problems.add([...at, 'stages', i, 'target'], 'value', `${fmt(st.target)} rps: ${why}`);
    });
  }
  const maxInFlight = MAX_IN_FLIGHT_PER_WORKER * workers;
  const memWhy = `each in-flight request holds about 1 KB of its own plus its response, so one worker takes at most ${fmt(MAX_IN_FLIGHT_PER_WORKER)} (with ${workers} worker(s): ${fmt(maxInFlight)}); add workers or shards`;
  if (typeof load.maxInFlight === 'number' && load.maxInFlight > maxInFlight) problems.add([...at, 'maxInFlight'], 'value', `${fmt(load.maxInFlight)}: ${memWhy}`);
  if (typeof load.concurrency === 'number' && load.concurrency > maxInFlight) problems.add([...at, 'concurrency'], 'value', `${fmt(load.concurrency)} users: ${memWhy}`);
}
