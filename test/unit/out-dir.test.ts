import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, prepareOutDir } from '../../src/report/out-dir.js';
import { ServebenchError } from '../../src/errors.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'sb-outdir-'));

function usageError(f: () => unknown): ServebenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ServebenchError);
    expect((e as ServebenchError).exitCode).toBe(2);
    return e as ServebenchError;
  }
  throw new Error('expected a usage error');
}

describe('the --out folder', () => {
  it('is created with its parents, locked while in use, and the lock is gone after release', () => {
    const dir = join(fresh(), 'a', 'b', 'c');
    const lock = prepareOutDir(dir);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    // A second run into the same folder while the first writes: refused, naming the folder.
    const e = usageError(() => prepareOutDir(dir));
    expect(e.message).toContain(dir);
    expect(e.message).toContain(`pid ${process.pid}`);
    lock.release();
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a folder that holds files unless --force, which removes the run files and keeps the others', () => {
    const dir = fresh();
    for (const f of ['results.ndjson', 'summary.json', 'report.html', 'report.html.tmp-123', 'notes.txt']) writeFileSync(join(dir, f), 'x');
    mkdirSync(join(dir, 'variants'));
    const e = usageError(() => prepareOutDir(dir));
    expect(e.message).toMatch(new RegExp(`^--out ${dir} already holds files \\(.*, … \\(6 entries\\)\\)$`));
    expect(e.hint).toContain('--force');
    // Refusing leaves no lock behind.
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const lock = prepareOutDir(dir, { force: true });
    expect(readdirSync(dir).sort()).toEqual([LOCK_FILE, 'notes.txt']);
    lock.release();
  });

  it('takes over the lock of a dead run only with --force', () => {
    const dir = fresh();
    // A pid that cannot be alive (above Linux's pid_max).
    writeFileSync(join(dir, LOCK_FILE), '99999999\n');
    const e = usageError(() => prepareOutDir(dir));
    expect(e.message).toContain('did not finish');
    prepareOutDir(dir, { force: true }).release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a path under a file, or where no folder can be made, is a usage error at once', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), 'x');
    expect(usageError(() => prepareOutDir(join(dir, 'file', 'sub'))).message).toContain('is a file, not a folder');
    if (existsSync('/proc/self')) {
      const t0 = Date.now();
      expect(usageError(() => prepareOutDir('/proc/servebench-x/y')).message).toContain('/proc/servebench-x');
      expect(Date.now() - t0).toBeLessThan(1000);
    }
  });
});
