import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

describe('servebench sweep (the built CLI)', () => {
  it('runs the example search, writes sweep.json/csv/html and the planning note', { timeout: 180_000 }, () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-sweep-e2e-'));
    const r = spawnSync(
      process.execPath,
      [cli, 'sweep', 'scenarios/sweep-predict.yaml', '--out', out, '--peak', '2000', '--headroom', '30%', '--set', 'sweep.stepDuration=1s', '--set', 'sweep.warmup=300ms', '--set', 'sweep.maxRepeats=1'],
      { cwd: root, encoding: 'utf8', timeout: 170_000 },
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(0);
    for (const f of ['sweep.json', 'sweep.csv', 'sweep.html', 'steps.ndjson']) expect(existsSync(join(out, f)), f).toBe(true);
    const s = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(s.answer.unit).toBe('rps');
    expect(s.answer.maxRate).toBeGreaterThan(0);
    expect(r.stdout).toContain(`sweep-predict: ${s.answer.sentence}`);
    expect(r.stdout).toContain(`${s.planning.replicas} replicas`);
    expect(s.planning.replicas).toBe(Math.ceil(2000 / (s.answer.maxAchievedRps * 0.7)));
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + s.steps.length);
    expect(r.stderr).toMatch(/step 1: 50 rps → /);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('on SIGINT keeps the steps it finished, writes the reports and exits 130', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-sweep-e2e-'));
    const f = join(dir, 'ladder.yaml');
    writeFileSync(
      f,
      [
        'name: ladder',
        'target: { url: embedded, deployment: fraud, mock: { serviceTime: 2 } }',
        'workloads:',
        '  - { name: p, kind: predict, model: fraud, body: { inputs: [[1]] } }',
        'load: { rps: 1 }',
        'sweep: { rates: [20, 40, 60, 80, 100, 120], stepDuration: 1s, warmup: 0s, until: ["errors.rate < 1%"] }',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const child = spawn(process.execPath, [cli, 'sweep', f, '--out', out], { cwd: root });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
      // Interrupt during the third step, once two have finished.
      if (err.includes('running 60 rps') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(code).toBe(130);
    const lines = readFileSync(join(out, 'steps.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).value)).toEqual([20, 40]);
    const s = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(s.interrupted).toBe(true);
    expect(s.steps.map((x: { value: number }) => x.value)).toEqual([20, 40]);
    expect(s.answer.maxRate).toBe(40);
    expect(readFileSync(join(out, 'sweep.html'), 'utf8')).toContain('Interrupted sweep');
  });

  it('says what is missing when the scenario has no sweep: section', () => {
    const r = spawnSync(process.execPath, [cli, 'sweep', 'scenarios/quickstart.yaml'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("has no 'sweep:' section");
    expect(r.stderr).toContain('hint: add e.g. sweep:');
  });
});
