/** The mock's timers, kept in one set so closing the server cancels every pending answer. */
export class Timers {
  private readonly live = new Set<NodeJS.Timeout>();

  later(ms: number, fn: () => void): NodeJS.Timeout {
    // A deadline already past is due now; Node 24 warns (TimeoutNegativeWarning) on a negative delay.
    const t = setTimeout(
      () => {
        this.live.delete(t);
        fn();
      },
      ms > 0 ? ms : 0,
    );
    this.live.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.live.delete(t);
  }

  clear(): void {
    for (const t of this.live) clearTimeout(t);
    this.live.clear();
  }
}
