import { afterEach, describe, expect, it, vi } from 'vitest';
import { performance } from 'node:perf_hooks';
import { SPIN_BELOW_MS, ThreadPacer } from '../../src/engine/pacer.js';

// The sleeper thread and this thread read one monotonic clock through different origins; their
// difference is measured at start, to a few µs.
const CLOCK_SLACK_MS = 0.05;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pacer: ThreadPacer | null = null;
afterEach(() => {
  pacer?.close();
  pacer = null;
});

/** A pump like the open loop's: on each wake, takes every due instant and asks for the next. */
async function pump(instantsMs: number[]) {
  const lateMs: number[] = [];
  let next = 0;
  let earlyWakes = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  // A request under SPIN_BELOW_MS ahead is bridged by turning the loop (setImmediate), whose turns
  // may come before the instant by design; only the sleeper's wakes must never be early. Such a
  // request follows a wake late by most of a gap, which a loaded machine produces.
  let spun = false;
  pacer = await ThreadPacer.start(() => {
    const t = performance.now();
    if (instantsMs[next] > t && !spun) earlyWakes++;
    while (next < instantsMs.length && instantsMs[next] <= t) lateMs.push(t - instantsMs[next++]);
    if (next === instantsMs.length) resolve();
    else {
      spun = instantsMs[next] - t < SPIN_BELOW_MS;
      pacer!.wakeAt(instantsMs[next], t);
    }
  });
  // A run keeps its own handles alive; here the test's timeout does.
  const keep = setInterval(() => undefined, 1000);
  pacer.wakeAt(instantsMs[0], performance.now());
  await done;
  clearInterval(keep);
  return { lateMs, earlyWakes };
}

describe('ThreadPacer', () => {
  it('wakes for every instant of a steady plan, never before it', async () => {
    const t0 = performance.now() + 5;
    const instants = Array.from({ length: 300 }, (_, i) => t0 + i * 0.7);
    const { lateMs, earlyWakes } = await pump(instants);
    expect(lateMs).toHaveLength(300);
    expect(Math.min(...lateMs)).toBeGreaterThanOrEqual(-CLOCK_SLACK_MS);
    expect(earlyWakes).toBe(0);
  });

  it('wakes for every instant of an irregular plan (gaps shorter and longer than the last), never before it', async () => {
    let t = performance.now() + 5;
    // Gaps 0.02–4 ms in a fixed pseudo-random order: a guess from the last gap is often wrong.
    const instants = Array.from({ length: 200 }, (_, i) => (t += 0.02 + ((i * 7919) % 97) / 24.25));
    const { lateMs } = await pump(instants);
    expect(lateMs).toHaveLength(200);
    expect(Math.min(...lateMs)).toBeGreaterThanOrEqual(-CLOCK_SLACK_MS);
  });

  it('tells how late each of its own wakes ran on this thread, and not of the spun ones', async () => {
    const heard: number[] = [];
    // Three wakes 3 ms apart (the sleeper's), then one 10 µs ahead (bridged on this thread).
    const gapsMs = [3, 3, 3, 0.01];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const ask = () => {
      const gap = gapsMs.shift();
      if (gap === undefined) resolve();
      else pacer!.wakeAt(performance.now() + gap, performance.now());
    };
    pacer = await ThreadPacer.start(ask, (lateMs) => heard.push(lateMs));
    const keep = setInterval(() => undefined, 1000);
    ask();
    await done;
    clearInterval(keep);
    expect(heard).toHaveLength(3);
    for (const l of heard) {
      expect(l).toBeGreaterThanOrEqual(-CLOCK_SLACK_MS);
      expect(l).toBeLessThan(1000);
    }
  });

  it('a wake whose instant was served elsewhere meanwhile still tells how late it ran, from the instant it fired for', async () => {
    const heard: number[] = [];
    pacer = await ThreadPacer.start(() => undefined, (lateMs) => heard.push(lateMs));
    const keep = setInterval(() => undefined, 1000);
    const t = performance.now();
    pacer.wakeAt(t + 5, t);
    // The thread is busy past the instant (the sleeper fires, the wake waits); a read callback sent
    // that slot and asked for the next one, 100 ms on.
    while (performance.now() < t + 25);
    pacer.wakeAt(t + 125, performance.now());
    await sleep(10);
    clearInterval(keep);
    expect(heard.length).toBeGreaterThanOrEqual(1);
    // About 20 ms late (25 − 5), not a negative figure against the new instant.
    expect(heard[0]).toBeGreaterThanOrEqual(19);
  });

  it('an earlier request replaces a later one at once', async () => {
    let wokeAt = -1;
    pacer = await ThreadPacer.start(() => (wokeAt = performance.now()));
    const t = performance.now();
    pacer.wakeAt(t + 400, t);
    pacer.wakeAt(t + 10, performance.now());
    await sleep(150);
    expect(wokeAt).toBeGreaterThanOrEqual(t + 10 - CLOCK_SLACK_MS);
    expect(wokeAt).toBeLessThan(t + 140);
  });

  it('a later request replaces an earlier one: no wake at the earlier instant', async () => {
    const wakes: number[] = [];
    pacer = await ThreadPacer.start(() => wakes.push(performance.now()));
    const t = performance.now();
    pacer.wakeAt(t + 5, t);
    pacer.wakeAt(t + 60, performance.now());
    await sleep(120);
    expect(wakes).toHaveLength(1);
    expect(wakes[0]).toBeGreaterThanOrEqual(t + 60 - CLOCK_SLACK_MS);
  });

  it('cancel drops the pending request, and a request after it is served', async () => {
    const wakes: number[] = [];
    pacer = await ThreadPacer.start(() => wakes.push(performance.now()));
    const t = performance.now();
    pacer.wakeAt(t + 10, t);
    pacer.cancel();
    await sleep(40);
    expect(wakes).toHaveLength(0);
    const t2 = performance.now();
    pacer.wakeAt(t2 + 5, t2);
    await sleep(40);
    expect(wakes).toHaveLength(1);
    expect(wakes[0]).toBeGreaterThanOrEqual(t2 + 5 - CLOCK_SLACK_MS);
  });

  it('after a fire with no new request, it does not fire again (the sleeper only guessed)', async () => {
    const wakes: number[] = [];
    pacer = await ThreadPacer.start(() => wakes.push(performance.now()));
    const t = performance.now();
    pacer.wakeAt(t + 5, t);
    await sleep(15);
    // A second request 3 ms after the first: the sleeper now guesses a 3 ms gap after this one.
    const t2 = performance.now();
    pacer.wakeAt(t2 + 3, t2);
    await sleep(60);
    expect(wakes).toHaveLength(2);
    // Requested late (after the guess passed): still served, once.
    const t3 = performance.now();
    pacer.wakeAt(t3 + 2, t3);
    await sleep(30);
    expect(wakes).toHaveLength(3);
    expect(wakes[2]).toBeGreaterThanOrEqual(t3 + 2 - CLOCK_SLACK_MS);
  });

  it('close ends the sleeper: no wake after it', async () => {
    const wakes: number[] = [];
    pacer = await ThreadPacer.start(() => wakes.push(performance.now()));
    const t = performance.now();
    pacer.wakeAt(t + 10, t);
    pacer.close();
    pacer.wakeAt(t + 12, t);
    await sleep(40);
    expect(wakes).toHaveLength(0);
  });
});

describe('ThreadPacer when a wait resolves at once', () => {
  it('a wait that the sleeper already satisfied, while a setImmediate is queued, leaves no phantom wait behind', async () => {
    // The sleeper can fire between the pump's read of FIRED and its waitAsync; waitAsync then
    // answers "not-equal" at once. Forced here, with a setImmediate already queued: every later
    // request must still be served (a stuck `waiting` flag stalled whole runs).
    const real = (Atomics as unknown as { waitAsync: (...a: unknown[]) => unknown }).waitAsync;
    let forceOnce = false;
    (Atomics as unknown as { waitAsync: (...a: unknown[]) => unknown }).waitAsync = (...a: unknown[]) => {
      if (forceOnce) {
        forceOnce = false;
        return { async: false, value: 'not-equal' };
      }
      return real.apply(Atomics, a);
    };
    vi.resetModules();
    try {
      const { ThreadPacer: Fresh } = await import('../../src/engine/pacer.js');
      const wakes: number[] = [];
      const p = await Fresh.start(() => wakes.push(performance.now()));
      pacer = p;
      const keep = setInterval(() => undefined, 1000);
      const t = performance.now();
      p.wakeAt(t, t); // due now: bridged with setImmediate
      forceOnce = true;
      p.wakeAt(t + 40, performance.now()); // answered "not-equal" at once
      await sleep(10);
      const t2 = performance.now();
      p.wakeAt(t2 + 5, t2);
      await sleep(60);
      clearInterval(keep);
      expect(wakes.filter((w) => w >= t2 + 5 - CLOCK_SLACK_MS).length).toBeGreaterThanOrEqual(1);
    } finally {
      (Atomics as unknown as { waitAsync: unknown }).waitAsync = real;
    }
  });
});
