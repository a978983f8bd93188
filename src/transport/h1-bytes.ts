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
