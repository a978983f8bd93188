/**
 * Reading requests.csv.gz back (`report` checks it, `merge` joins the shards'): every gzip member
 * in turn, the header checked, each row's fields and the order of its instants checked. A killed
 * run's file may end in a torn member or a torn last row: what is whole is read, the rest skipped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { ServebenchError } from '../errors.js';
import { COL, REQUEST_COLUMNS, REQUEST_HEADER, TIME_COLUMNS, csvField, splitRow } from './request-rows.js';

const INT = /^-?\d+$/;
const COUNT_COLUMNS = ['slot', 'status', 'input_tokens', 'output_tokens', 'cached_tokens', 'turn'] as const;

/** The file's text (header included); a torn end is cut at the last whole row. */
export function readRequestsText(path: string): string {
  let gz: Buffer;
  try {
    gz = readFileSync(path);
  } catch (err) {
    throw new ServebenchError('E_FILE', `cannot read ${path}: ${(err as Error).message}`);
  }
  let text: string;
  try {
    // Sync flush: a truncated last member gives what it holds instead of an error.
    text = gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch (err) {
    throw new ServebenchError('E_RESULTS', `${path}: not a gzip file (${(err as Error).message})`);
  }
  const end = text.lastIndexOf('\n');
  return end < 0 ? '' : text.slice(0, end + 1);
}

/** Why one row is wrong, or null. */
export function rowProblem(f: readonly string[]): string | null {
  if (f.length !== REQUEST_COLUMNS.length) return `expected ${REQUEST_COLUMNS.length} fields, got ${f.length}`;
  for (const c of [...TIME_COLUMNS, ...COUNT_COLUMNS]) {
    const v = f[COL[c]];
    if (v !== '' && !INT.test(v)) return `${c} is not an integer: '${v}'`;
  }
  if (f[COL.intended_us] === '' || f[COL.done_us] === '') return 'intended_us and done_us are required';
  const intended = Number(f[COL.intended_us]);
  const sent = f[COL.sent_us] === '' ? intended : Number(f[COL.sent_us]);
  const done = Number(f[COL.done_us]);
  if (!(intended <= sent && sent <= done)) return `times out of order: intended ${intended}, sent ${sent}, done ${done} (µs)`;
  return null;
}

/** The rows of a file (header checked), each row's fields checked; `each` sees every good row. */
function eachRow(path: string, each: (fields: string[], line: string, i: number) => void): number {
  const text = readRequestsText(path);
  if (text === '') return 0;
  if (!text.startsWith(REQUEST_HEADER)) throw new ServebenchError('E_RESULTS', `${path}:1: the header is not ${REQUEST_HEADER.trim()}`);
  const lines = text.slice(REQUEST_HEADER.length).split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const f = splitRow(line);
    const problem = rowProblem(f);
    if (problem) throw new ServebenchError('E_RESULTS', `${path}:${i + 2}: ${problem}`, { hint: 'this row was not written by servebench as it is now' });
    each(f, line, i);
  });
  return lines.length;
}

/** Checks a requests.csv.gz; throws E_RESULTS naming the file and line of the first bad row. */
export function checkRequestsFile(path: string): { rows: number } {
  return { rows: eachRow(path, () => undefined) };
}

/** Rows per gzip member of a merged file. */
const MERGE_ROWS_PER_MEMBER = 16_384;

/**
 * The shards' files as one: each shard's times moved by `shiftUs` (its measured start after the
 * earliest shard's), so every row counts from the merged run's start. Returns the rows written.
 */
export function mergeRequestsFiles(inputs: readonly { path: string; shiftUs: number }[], outPath: string): number {
  const members: Buffer[] = [gzipSync(REQUEST_HEADER)];
  let total = 0;
  for (const { path, shiftUs } of inputs) {
    let batch = '';
    const rows = eachRow(path, (f, line, i) => {
      if (shiftUs !== 0) for (const c of TIME_COLUMNS) if (f[COL[c]] !== '') f[COL[c]] = String(Number(f[COL[c]]) + shiftUs);
      batch += shiftUs === 0 ? line + '\n' : `${csvField(f[0])},${f.slice(1).join(',')}\n`;
      if ((i + 1) % MERGE_ROWS_PER_MEMBER === 0) {
        members.push(gzipSync(batch));
        batch = '';
      }
    });
    if (batch) members.push(gzipSync(batch));
    total += rows;
  }
  writeFileSync(outPath, Buffer.concat(members));
  return total;
}
