/**
 * The report folder of a run (`--out`): created one level at a time (Node's recursive mkdir spins
 * forever under /proc), refused when it already holds files unless `--force` (then the files of the
 * run there are removed first, so two runs never mix), and locked while a run writes into it (an
 * exclusive lock file, so two runs started into one folder cannot interleave results.ndjson).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ServebenchError } from '../errors.js';

export const LOCK_FILE = '.servebench.lock';

/** Files a run writes (and their atomic-write leftovers): what `--force` removes, nothing else. */
const RUN_FILES = /^(results\.ndjson|summary\.(json|csv)|timeseries\.csv|percentiles\.csv|report\.html|compare[\w-]*\.(json|csv|html)|sweep[\w-]*\.(json|csv|html|md))(\.tmp-\d+)?$/;
const RUN_DIRS = new Set(['variants', 'steps']);

export interface OutDirLock {
  readonly dir: string;
  /** Removes the lock file; safe to call twice. */
  release(): void;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'ENOENT':
      return 'the file system does not allow creating it';
    default:
      return err.message;
  }
}

function usage(dir: string, why: string, hint?: string): ServebenchError {
  return new ServebenchError('E_USAGE', `cannot use ${dir} as the report folder: ${why}`, hint ? { hint } : {});
}

/** Creates `dir` and its missing parents, one non-recursive mkdir each, with a usage error on failure. */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let p = dir;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw usage(dir, reason(e));
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw usage(dir, `${p} is a file, not a folder`);
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue;
      throw usage(dir, `creating ${m}: ${reason(e)}`);
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeLock(dir: string, force: boolean): string {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw usage(dir, `cannot create its lock file: ${reason(e)}`);
      const pid = Number.parseInt(safeRead(path), 10);
      const alive = Number.isSafeInteger(pid) && pid > 0 && pidAlive(pid);
      if (alive || !force || attempt > 0) {
        throw usage(
          dir,
          alive ? `another servebench run (pid ${pid}) is writing into it` : `it holds the lock file ${LOCK_FILE} of a run that did not finish`,
          alive ? 'wait for that run to end, or pick another --out' : `remove ${path} or pass --force`,
        );
      }
      // --force and the locking process is gone (killed): the lock is stale.
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return path;
  }
  throw usage(dir, 'cannot take its lock');
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Makes `dir` ready for a run and locks it. An existing folder must be empty (a lock file of a dead
 * run aside) unless `force`; with `force` the files of an earlier run are removed first.
 */
export function prepareOutDir(dir: string, opts: { force?: boolean } = {}): OutDirLock {
  makeDirs(dir);
  const lockPath = takeLock(dir, Boolean(opts.force));
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone: nothing to release
    }
  };
  // A run that ends by process.exit (a signal before the run started) still frees the folder.
  process.on('exit', release);
  try {
    const others = readdirSync(dir).filter((f) => f !== LOCK_FILE);
    if (others.length > 0) {
      if (!opts.force) {
        const shown = others.slice(0, 4).join(', ') + (others.length > 4 ? `, … (${others.length} entries)` : '');
        throw new ServebenchError('E_USAGE', `--out ${dir} already holds files (${shown})`, {
          hint: 'pick an empty or new folder, or pass --force to replace the run there',
        });
      }
      for (const f of others) {
        if (RUN_FILES.test(f) || RUN_DIRS.has(f)) rmSync(join(dir, f), { recursive: true, force: true });
      }
    }
  } catch (e) {
    release();
    throw e;
  }
  return { dir, release };
}
