// The built CLI with trace loads: `validate` finds a bad line at its file:line (exit 2), and two
// shard processes of the shipped trace scenario send its records exactly once between them.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

describe('trace loads from the command line', () => {
  it('validate names the bad line of a trace and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-trace-'));
    writeFileSync(join(dir, 'trace.csv'), 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,100,10\n2023-11-16 18:15:47.00,-3,10\n');
    const scenario = join(dir, 's.yaml');
    writeFileSync(scenario, 'name: s\ntarget: { url: embedded, deployment: d }\nworkloads: [{ name: w, kind: completion, model: m }]\nload: { type: trace, file: trace.csv, format: azure }\n');
    const r = spawnSync(process.execPath, [cli, 'validate', scenario], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'trace.csv')}:3:1  load.file  line 3: ContextTokens: expected an integer >= 1, got '-3'`);
  });

  it('two shards split the trace: each sends its half, merged they send every record once', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sb-trace-shards-'));
    const startAt = Date.now() + 6000;
    const shard = (i: number) =>
      new Promise<number | null>((res) => {
        const args = [cli, 'run', 'scenarios/trace-replay.yaml', '--shard', `${i}/2`, '--start-at', String(startAt), '--out', join(work, `s${i}`), '--quiet', '--set', 'load.speed=8', '--set', 'load.warmup=0s'];
        const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' });
        child.on('exit', res);
      });
    const codes = await Promise.all([shard(0), shard(1)]);
    expect(codes).toEqual([0, 0]);
    const sent = [0, 1].map((i) => JSON.parse(readFileSync(join(work, `s${i}`, 'summary.json'), 'utf8')).totals.sent);
    expect(sent).toEqual([150, 150]);
    const m = spawnSync(process.execPath, [cli, 'merge', join(work, 's0'), join(work, 's1'), '--out', join(work, 'merged')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(m.status, m.stderr).toBe(0);
    const merged = JSON.parse(readFileSync(join(work, 'merged', 'summary.json'), 'utf8'));
    expect(merged.totals.sent).toBe(300);
    expect(merged.load.type).toBe('trace');
  });
});
