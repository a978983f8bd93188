// The shipped conversation example through the built CLI: summary.json's conversations section, the
// console line, report.html's table, and `servebench report` rebuilding them from results.ndjson.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

function servebench(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

describe('scenarios/chat-conversations.yaml', () => {
  it('runs against the embedded mock and reports conversations by turn', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-conv-'));
    const r = servebench(['run', 'scenarios/chat-conversations.yaml', '--out', out, '--set', 'load.duration=3s', '--set', 'load.warmup=0s']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const w = s.workloads[0];
    const c = w.conversations;
    expect(s.totals.errors).toBe(0);
    expect(c.started).toBeGreaterThan(3);
    expect(c.started).toBe(s.generator.plannedSlots);
    expect(c.byTurn.reduce((a: number, t: { sent: number }) => a + t.sent, 0)).toBe(w.totals.sent);
    expect(c.byTurn[0].sent).toBe(c.started);
    expect(c.byTurn[0].ttft.p50).toBeGreaterThan(0);
    expect(c.byTurn.length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toMatch(new RegExp(`conversations ${c.started} started, ${c.finished} finished; ttft p50 \\(ms\\) by turn 1: `));
    expect(r.stdout).toMatch(/note: conversations: .*conversations per second/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('class="num conversations"');
    expect(html).toContain(`${c.started} started, ${c.finished} finished`);
    expect(html).toContain('data-turn="2"');

    // rebuilt in place from results.ndjson alone
    const rr = servebench(['report', out]);
    expect(rr.status, rr.stderr).toBe(0);
    const rebuilt = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(rebuilt.workloads[0].conversations).toEqual(c);
  });
});
