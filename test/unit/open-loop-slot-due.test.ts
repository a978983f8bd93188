import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { OpenLoopDriver } from '../../src/engine/open-loop.js';
import type { DriverHost } from '../../src/engine/load-driver.js';
import type { ResolvedLoad } from '../../src/scenario/types.js';
import type { SlotSource } from '../../src/schedule/plan.js';

/** Slots every `gapMs` from offset 0, `count` of them. */
function slots(gapMs: number, count: number): SlotSource {
  let i = -1;
  return {
    get index() {
      return i;
    },
    warmup: false,
    get measuredIndex() {
      return i;
    },
    next: () => (++i < count ? i * gapMs : -1),
  };
}

class Host implements DriverHost {
  t0 = 0;
  stopping = false;
  inFlight = 0;
  sent: number[] = [];
  done = false;
  send(intended: number): void {
    this.sent.push(intended);
  }
  drop(): void {}
  sendingDone(): void {
    this.done = true;
  }
  loopWokeLate(): void {}
}

const load = { onSaturation: 'drop' } as ResolvedLoad;
let driver: OpenLoopDriver | null = null;
afterEach(() => {
  driver?.close();
  driver = null;
});

/** Keeps this thread busy (as a batch of reads does) until `untilMs`. */
function busyUntil(untilMs: number): void {
  while (performance.now() < untilMs);
}

/** A driver over `count` slots `gapMs` apart, prepared (its pacer running); `start` sets t0 and starts it. */
async function driverOf(gapMs: number, count: number): Promise<{ host: Host; start: (t0?: number) => OpenLoopDriver }> {
  const host = new Host();
  const d = new OpenLoopDriver(host, load, 100, 0, 1, slots(gapMs, count));
  driver = d;
  await d.prepare();
  return {
    host,
    start: (t0 = performance.now()) => {
      host.t0 = t0;
      d.start();
      return d;
    },
  };
}

describe('OpenLoopDriver: a slot whose wake did not come', () => {
  it('sends each slot once, at its instant, and slotDue after the plan is done sends nothing', async () => {
    const { host, start } = await driverOf(20, 3);
    const d = start();
    await new Promise((r) => setTimeout(r, 80));
    expect(host.sent).toHaveLength(3);
    expect(host.done).toBe(true);
    // The instants of slots 0, 1 and 2, each once.
    expect(host.sent.map((t) => Math.round(t - host.t0))).toEqual([0, 20, 40]);
    d.slotDue();
    expect(host.sent).toHaveLength(3);
  });

  it('slotDue sends the due slot at once, while the event loop is still busy, without waiting for the pacer', async () => {
    const { host, start } = await driverOf(30, 2);
    const d = start();
    await new Promise((r) => setTimeout(r, 10));
    expect(host.sent).toHaveLength(1);
    // The loop is busy past slot 1's instant (the pacer's wake cannot run): the worker's probe finds
    // it overdue and sends it from there.
    const due = host.t0 + 30;
    busyUntil(due + 2);
    expect(host.sent).toHaveLength(1);
    d.slotDue();
    expect(host.sent).toHaveLength(2);
    expect(host.sent[1]).toBe(due);
    // The pacer's wake that follows finds nothing due and sends nothing twice.
    await new Promise((r) => setTimeout(r, 30));
    expect(host.sent).toHaveLength(2);
  });

  it('slotDue before the instant sends nothing', async () => {
    const { host, start } = await driverOf(50, 2);
    const d = start();
    await new Promise((r) => setTimeout(r, 10));
    d.slotDue();
    expect(host.sent).toHaveLength(1);
  });

  it('a send that ends at once (and finds the next slot due) does not re-enter the pump', async () => {
    const { host, start } = await driverOf(0.001, 50);
    let depth = 0;
    let maxDepth = 0;
    host.send = (intended: number) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      host.sent.push(intended);
      driver!.slotDue();
      depth--;
    };
    start(performance.now() - 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(host.sent).toHaveLength(50);
    expect(new Set(host.sent).size).toBe(50);
    expect(maxDepth).toBe(1);
  });
});
