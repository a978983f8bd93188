/**
 * The calling thread's own CPU time and run-queue wait, read once per interval from Linux's
 * /proc/thread-self/schedstat (field 1: ns on a CPU; field 2: ns runnable but waiting for one).
 * The two tell a busy generator (on a CPU most of the second) from a busy machine (ready to run but
 * other processes held the core). A synchronous read runs on the calling thread, so in a worker it
 * names the worker's own thread. Elsewhere, or without schedstat, `take()` returns null and the
 * diagnosis falls back to event-loop utilization.
 */
import { readFileSync } from 'node:fs';

export interface ThreadCpuSample {
  /** Time this thread ran on a CPU since the previous sample, ms. */
  cpuMs: number;
  /** Time it was runnable but waited for a CPU (other threads or processes held it), ms. */
  runQueueMs: number;
}

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** [ns on CPU, ns waiting on a run queue], or null when the kernel does not say. */
function readSchedstat(): [number, number] | null {
  try {
    const txt = readFileSync(SCHEDSTAT, 'latin1');
    const sp1 = txt.indexOf(' ');
    const sp2 = txt.indexOf(' ', sp1 + 1);
    const cpu = Number(txt.slice(0, sp1));
    const wait = Number(txt.slice(sp1 + 1, sp2 < 0 ? undefined : sp2));
    return Number.isFinite(cpu) && Number.isFinite(wait) ? [cpu, wait] : null;
  } catch {
    return null;
  }
}

export class ThreadCpuClock {
  private last: [number, number] | null;

  constructor(private readonly read: () => [number, number] | null = readSchedstat) {
    this.last = read();
  }

  /** CPU and run-queue time since the previous call (or since construction); null when unavailable. */
  take(): ThreadCpuSample | null {
    if (this.last === null) return null;
    const cur = this.read();
    if (cur === null) return null;
    const out = { cpuMs: round((cur[0] - this.last[0]) / 1e6), runQueueMs: round((cur[1] - this.last[1]) / 1e6) };
    this.last = cur;
    return out;
  }
}

function round(x: number): number {
  return Math.round(Math.max(0, x) * 1000) / 1000;
}
