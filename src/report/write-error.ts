/**
 * A failed write of a run's files, as the user's problem (exit 4), not a crash: a full disk is
 * named as such with the folder it happened in, so the user knows what to free or where to point
 * --out instead.
 */
import { dirname } from 'node:path';
import { ServebenchError } from '../errors.js';

const FULL = new Set(['ENOSPC', 'EDQUOT']);

function isDiskFull(e: unknown): boolean {
  return FULL.has((e as NodeJS.ErrnoException)?.code ?? '');
}

/** Why a write failed, in words; a full disk names the folder. */
function writeReason(e: unknown, dir: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (isDiskFull(e)) return `the disk holding ${dir} is full`;
  if (code === 'EROFS') return `${dir} is on a read-only file system`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied in ${dir}`;
  return `${(e as Error)?.message ?? String(e)} (in ${dir})`;
}

export function writeError(files: readonly string[], cause: unknown): ServebenchError {
  const dir = dirname(files[0]);
  const shown = files.map((f) => f.slice(dir.length + 1) || f).join(', ');
  return new ServebenchError('E_WRITE', `could not write ${shown}: ${writeReason(cause, dir)}`, {
    hint: isDiskFull(cause) ? `free space there, or point --out at another disk; \`servebench report ${dir}\` rebuilds the reports from results.ndjson once there is room` : 'check the folder and its permissions',
    cause,
  });
}
