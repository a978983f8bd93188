import { describe, expect, it } from 'vitest';
import { SummaryBuilder } from '../../src/metrics/summary.js';
import { sampleRecords } from '../helpers/sample-summary.js';

describe('a summary of a run that goes on', () => {
  it('counts what the workers have in flight as unfinished only when the run is over', () => {
    const records = sampleRecords({ seconds: 6 });
    const cut = records.findIndex((r) => r.type === 'interval' && r.index === 3);
    const b = new SummaryBuilder();
    for (const r of records.slice(0, cut)) b.add(r);
    // Without an end record the file is of a run cut off: its last in-flight requests have no outcome.
    const cutOff = b.summary();
    expect(cutOff.totals.unfinished).toBeGreaterThan(0);
    expect(cutOff.generator.warnings.join('\n')).toMatch(/still in flight when the run was cut off/);
    const running = b.summary({ running: true });
    expect(running.totals.unfinished).toBe(0);
    expect(running.totals.sent).toBe(cutOff.totals.sent);
    expect(running.generator.warnings.join('\n')).not.toMatch(/still in flight/);
  });
});
