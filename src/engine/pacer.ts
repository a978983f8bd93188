/**
 * Wakes the open-loop pump at a slot's instant, with a cost per wake instead of per unit of wall time.
 *
 * The event loop's timers count whole milliseconds (libuv), so a setTimeout fires anywhere from
 * about 1 ms early to 1 ms late; spinning on setImmediate to close that gap kept a third of a core
 * busy at 200 rps. Here a small sleeper thread waits for the instant with Atomics.wait (a futex
 * with a sub-millisecond timeout) and then wakes this thread through Atomics.notify, which a
 * pending Atomics.waitAsync turns into a task on this thread's event loop. Meanwhile the loop sleeps
 * in its poll and handles responses the moment they arrive: nothing blocks it. Only a gap shorter
 * than a wake's own cost (SPIN_BELOW_MS) is still bridged with setImmediate.
 */
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

/** Wakes the pump at an instant of this thread's performance.now() clock. */
export interface Pacer {
  /** Calls the wake function once, at `atMs` or just after (never before); replaces any earlier request. */
  wakeAt(atMs: number, nowMs: number): void;
  /** Drops the pending request: no wake follows. */
  cancel(): void;
  /** Ends the sleeper thread. */
  close(): void;
}

/**
 * Below this gap to the next slot the pump turns on setImmediate (I/O still runs between turns):
 * a thread-to-thread wake costs tens of µs of CPU and latency, more than such a gap.
 */
export const SPIN_BELOW_MS = 0.05;

// Shared words: [SEQ] bumped on every new request (the sleeper waits on it), [FIRED] bumped by the
// sleeper at each due instant (this thread waits on it), [STOP] set to end the sleeper, [PSEQ]
// bumped after the sleeper publishes PRED (a seq-cst store that orders the plain Float64 before
// it). Then three Float64: AT, the requested instant in this thread's clock (Infinity: none), PRED,
// the instant the sleeper will wake by itself (Infinity: it waits for a notify), and FIRED_AT, the
// instant the sleeper last fired for (stored before FIRED is bumped).
const SEQ = 0;
const FIRED = 1;
const STOP = 2;
const PSEQ = 3;
const AT_OFFSET_BYTES = 16;
const PRED_OFFSET_BYTES = 24;
const FIRED_AT_OFFSET_BYTES = 32;

/**
 * A request at or after the sleeper's own next wake, less this, needs no notify: the sleeper reads
 * it when it wakes. A wake this much late is far below a send's own cost.
 */
const LATE_OK_MS = 0.01;

/** Atomics.waitAsync (ES2024, in Node since 16), typed here: the project compiles against ES2022's lib. */
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync.bind(Atomics);

/** performance.now() minus the monotonic clock both threads share (ms). The time origins are wall-clock
 * readings and disagreed between threads by a millisecond (measured), too much to pace with. */
const clockShiftMs = (): number => performance.now() - Number(process.hrtime.bigint()) / 1e6;

// The sleeper's whole program (CommonJS, eval'd: no file to resolve next to the build). It reads
// this thread's performance.now() clock through the shared monotonic clock. After firing it guesses
// that the next request lies as far after this one as this one after the last (exact at a constant
// rate) and sleeps until then; a request made meanwhile at or after the guess needs no notify, so a
// steady plan costs one sleeper wake per slot and no futex call on the pump's thread.
const SLEEPER = `
const { workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const i32 = new Int32Array(workerData.sab, 0, 4);
const at = new Float64Array(workerData.sab, ${AT_OFFSET_BYTES}, 1);
const pred = new Float64Array(workerData.sab, ${PRED_OFFSET_BYTES}, 1);
const firedAt0 = new Float64Array(workerData.sab, ${FIRED_AT_OFFSET_BYTES}, 1);
const shift = workerData.shiftMs - (performance.now() - Number(process.hrtime.bigint()) / 1e6);
const now = () => performance.now() + shift;
const sleepUntil = (until, seq) => {
  pred[0] = until;
  Atomics.add(i32, ${PSEQ}, 1);
  Atomics.wait(i32, ${SEQ}, seq, until === Infinity ? Infinity : Math.max(0, until - now()));
};
let firedSeq = -1, firedAt = Infinity, lastGapMs = Infinity, guessed = false;
while (Atomics.load(i32, ${STOP}) === 0) {
  const seq = Atomics.load(i32, ${SEQ});
  if (seq === firedSeq) {
    // Nothing new since the last fire: sleep to the guess once, then until notified.
    if (!guessed && lastGapMs < Infinity) {
      guessed = true;
      sleepUntil(firedAt + lastGapMs, seq);
    } else sleepUntil(Infinity, seq);
    continue;
  }
  const target = at[0];
  if (target - now() > 0) {
    sleepUntil(target, seq);
    continue;
  }
  firedAt0[0] = target;
  Atomics.add(i32, ${FIRED}, 1);
  Atomics.notify(i32, ${FIRED});
  lastGapMs = target - firedAt > 0 ? target - firedAt : Infinity;
  firedAt = target;
  firedSeq = seq;
  guessed = false;
}
`;

/** The pacer of the open loop: a sleeper thread for gaps of 50 µs and more, setImmediate below. */
export class ThreadPacer implements Pacer {
  private readonly i32: Int32Array;
  private readonly at: Float64Array;
  private readonly pred: Float64Array;
  private readonly firedAt: Float64Array;
  /** A waitAsync is pending on [FIRED]: a new request only moves the instant. */
  private waiting = false;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;

  private constructor(
    private readonly wake: () => void,
    private readonly sleeper: Worker,
    sab: SharedArrayBuffer,
    private readonly onLate: ((lateMs: number) => void) | undefined,
  ) {
    this.i32 = new Int32Array(sab, 0, 4);
    this.at = new Float64Array(sab, AT_OFFSET_BYTES, 1);
    this.pred = new Float64Array(sab, PRED_OFFSET_BYTES, 1);
    this.firedAt = new Float64Array(sab, FIRED_AT_OFFSET_BYTES, 1);
  }

  /**
   * Starts the sleeper thread and resolves once it runs (a slot armed before that would be late).
   * `onLate` hears how late each of the sleeper's wakes ran on this thread's event loop (ms).
   */
  static async start(wake: () => void, onLate?: (lateMs: number) => void): Promise<ThreadPacer> {
    const sab = new SharedArrayBuffer(FIRED_AT_OFFSET_BYTES + 8);
    new Float64Array(sab, AT_OFFSET_BYTES, 3).fill(Infinity);
    const sleeper = new Worker(SLEEPER, { eval: true, workerData: { sab, shiftMs: clockShiftMs() } });
    // The sleeper never keeps the process alive: the run's own work does.
    sleeper.unref();
    await once(sleeper, 'online');
    return new ThreadPacer(wake, sleeper, sab, onLate);
  }

  wakeAt(atMs: number, nowMs: number): void {
    if (this.closed) return;
    if (atMs - nowMs < SPIN_BELOW_MS) {
      if (this.immediate === null) this.immediate = setImmediate(this.onImmediate);
      return;
    }
    // Read before the request goes out: the sleeper may fire it before waitAsync below is called.
    const fired = Atomics.load(this.i32, FIRED);
    // A plain store before the seq-cst add: the sleeper reads the instant after it sees the new seq.
    this.at[0] = atMs;
    Atomics.add(this.i32, SEQ, 1);
    // Orders the read of PRED after the sleeper's last publish (see PSEQ).
    Atomics.load(this.i32, PSEQ);
    if (atMs < this.pred[0] - LATE_OK_MS) Atomics.notify(this.i32, SEQ);
    if (this.waiting) return;
    this.waiting = true;
    // One promise per wake: waitAsync has no callback form. A wake that already happened comes
    // back synchronously; it is taken on the next turn, never re-entering the caller.
    const r = waitAsync(this.i32, FIRED, fired);
    if (r.async) void r.value.then(this.onFired);
    else {
      // Nothing is pending now: `waiting` must drop even when a setImmediate is already queued, or
      // every later request would count on a wait that does not exist (the pump then stalled).
      this.waiting = false;
      if (this.immediate === null) this.immediate = setImmediate(this.onImmediate);
    }
  }

  cancel(): void {
    this.at[0] = Infinity;
    Atomics.add(this.i32, SEQ, 1);
    Atomics.notify(this.i32, SEQ);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
  }

  close(): void {
    if (this.closed) return;
    this.cancel();
    this.closed = true;
    Atomics.store(this.i32, STOP, 1);
    Atomics.add(this.i32, SEQ, 1);
    Atomics.notify(this.i32, SEQ);
    void this.sleeper.terminate();
  }

  private readonly onFired = (): void => {
    this.waiting = false;
    // Cancelled or closed since: the wake is stale. An early or stale wake is harmless otherwise:
    // the pump checks the clock and asks again.
    if (this.closed || this.at[0] === Infinity) return;
    // Measured from the instant the sleeper fired for: the worker's probe may have sent that slot
    // meanwhile and asked for the next one (LoadDriver.slotDue), but this wake was still late.
    this.onLate?.(performance.now() - this.firedAt[0]);
    this.wake();
  };

  private readonly onImmediate = (): void => {
    this.immediate = null;
    if (!this.closed) this.wake();
  };
}
