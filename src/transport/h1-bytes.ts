/**
 * Byte scanning for the lean HTTP/1.1 client's response parser (h1.ts): header names, tokens, line
 * ends and whitespace, on the read buffer itself, without making strings.
 */

/** lineEnd() met a bare LF or a CR not followed by LF: not an HTTP/1.1 line ending. */
export const BAD_EOL = -3;

/** A header name at buf[start, end) equals `lower` (lower-case ASCII), ignoring case. */
export function nameIs(buf: Buffer, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i] | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** `lower` (lower-case ASCII) occurs in buf[start, end), ignoring case. */
export function hasToken(buf: Buffer, start: number, end: number, lower: string): boolean {
  const n = lower.length;
  for (let i = start; i + n <= end; i++) {
    let j = 0;
    while (j < n && (buf[i + j] | 0x20) === lower.charCodeAt(j)) j++;
    if (j === n) return true;
  }
  return false;
}

/**
 * Index of the CR of the first CRLF at or after `from`, -1 if the line goes on in the next read, or
 * BAD_EOL at a bare LF or CR (undici's parser refuses both; waiting for a CRLF would hang). A byte
 * loop: a head is a few hundred bytes, and Buffer.indexOf's call into C++ for each of its lines was
 * a visible share of the worker.
 */
export function lineEnd(buf: Buffer, from: number): number {
  const n = buf.length;
  for (let i = from; i < n; i++) {
    const c = buf[i];
    if (c === 0x0a) return BAD_EOL;
    if (c === 0x0d) return i + 1 === n ? -1 : buf[i + 1] === 0x0a ? i : BAD_EOL;
  }
  return -1;
}

/** Index of the first byte at or after `from` that is not a space or tab, before `end`. */
export function skipOws(buf: Buffer, from: number, end: number): number {
  while (from < end && (buf[from] === 0x20 || buf[from] === 0x09)) from++;
  return from;
}

/** Index after the last byte before `end` that is not a space or tab, not before `from`. */
export function trimOws(buf: Buffer, from: number, end: number): number {
  while (end > from && (buf[end - 1] === 0x20 || buf[end - 1] === 0x09)) end--;
  return end;
}

/** The status code of an "HTTP/1.x SSS[ reason]" line at buf[start, end), or -1 when it is not one. */
export function statusCode(buf: Buffer, start: number, end: number): number {
  const minor = buf[start + 7] - 0x30;
  const d0 = buf[start + 9] - 0x30;
  const d1 = buf[start + 10] - 0x30;
  const d2 = buf[start + 11] - 0x30;
  if (
    end - start < 12 ||
    buf[start] !== 0x48 || buf[start + 1] !== 0x54 || buf[start + 2] !== 0x54 || buf[start + 3] !== 0x50 ||
    buf[start + 4] !== 0x2f || buf[start + 5] !== 0x31 || buf[start + 6] !== 0x2e || buf[start + 8] !== 0x20 ||
    (minor !== 0 && minor !== 1) || d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 ||
    (end - start > 12 && buf[start + 12] !== 0x20)
  ) {
    return -1;
  }
  return d0 * 100 + d1 * 10 + d2;
}

/** The decimal number at buf[start, end) (0 when empty), or -1 for a non-digit or a value past 2^53. */
export function decimal(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    // Past 2^53 the length is no longer exact: refuse it rather than wait for petabytes.
    if (n > Number.MAX_SAFE_INTEGER) return -1;
  }
  return n;
}

/**
 * The size on a chunk-size line at buf[start, eol) (hex digits, then optionally whitespace and a
 * ';' extension, which is ignored), or -1 when the line is anything else.
 */
export function chunkSize(buf: Buffer, start: number, eol: number): number {
  let size = 0;
  let i = start;
  for (; i < eol; i++) {
    const c = buf[i] | 0x20;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) break;
    size = size * 16 + d;
  }
  const ext = skipOws(buf, i, eol);
  if (i === start || (ext < eol && buf[ext] !== 0x3b) || size > Number.MAX_SAFE_INTEGER / 32) return -1;
  return size;
}
