/**
 * Event-stream framing (the WHATWG algorithm), on bytes. Lines are found with Buffer#indexOf
 * (memchr) for LF and CR, whose positions are cached per push so each byte is scanned once; field
 * names are compared byte by byte. State that survives a push:
 *   - `carry`: the unterminated tail of the last push (a line split across pushes);
 *   - `data`: the event's data lines joined with LF, when the event spans pushes or has several lines;
 *     an event with one data line that ends inside the current push is handed on straight from the
 *     chunk (`ref*`), which is vLLM's usual `data: {...}\n\n`;
 *   - `skipLF`: the last push ended in CR, so an LF starting the next one belongs to that CRLF.
 * A split anywhere (inside a UTF-8 sequence, between CR and LF) gives the same events, because the
 * subclass gets an event's data only once the event is complete. `event`/`id`/`retry` fields and
 * comments are ignored; an event still unterminated when the body ends is discarded.
 */
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;

/** An event (all its lines, terminators excluded) larger than this is an invalid response. */
export const MAX_EVENT_BYTES = 1024 * 1024;
const INITIAL_CAPACITY = 4096;
/** resetFraming() drops buffers that one huge event grew past this, so idle parsers stay small. */
const RETAIN_CAPACITY = 64 * 1024;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function grow(buf: Buffer, used: number, needed: number): Buffer {
  let cap = buf.length * 2;
  while (cap < needed) cap *= 2;
  const next = Buffer.allocUnsafe(cap);
  buf.copy(next, 0, 0, used);
  return next;
}

export abstract class SseFraming {
  private carry: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private carryLen = 0;
  private data: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private dataLen = 0;
  private dataLines = 0;
  private refBuf: Buffer | null = null;
  private refStart = 0;
  private refEnd = 0;
  private skipLF = false;
  private eventBytes = 0;
  private atStreamStart = true;
  /** no more input is read: after [DONE], an oversized event or end() */
  private halted = false;

  /** A complete event's data, trimmed of blanks and not empty: buf[s, e) (valid during the call only). */
  protected abstract onEventData(buf: Buffer, s: number, e: number, nowMs: number): void;
  /** An event grew past MAX_EVENT_BYTES; reading stops after this. */
  protected abstract onOversized(): void;

  /** Stops reading: the rest of the stream is ignored. */
  protected halt(): void {
    this.halted = true;
    this.refBuf = null;
  }

  protected resetFraming(): void {
    if (this.carry.length > RETAIN_CAPACITY) this.carry = Buffer.allocUnsafe(INITIAL_CAPACITY);
    if (this.data.length > RETAIN_CAPACITY) this.data = Buffer.allocUnsafe(INITIAL_CAPACITY);
    this.carryLen = 0;
    this.dataLen = 0;
    this.dataLines = 0;
    this.refBuf = null;
    this.skipLF = false;
    this.eventBytes = 0;
    this.atStreamStart = true;
    this.halted = false;
  }

  /** Bytes as they arrive; nowMs = the arrival instant, stamped by the caller before parsing. */
  push(chunk: Uint8Array, nowMs: number): void {
    if (this.halted) return;
    const len = chunk.byteLength;
    if (len === 0) return;
    const buf = asBuffer(chunk);
    let pos = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (buf[0] === LF) pos = 1;
    }
    let nextLF = buf.indexOf(LF, pos);
    let nextCR = buf.indexOf(CR, pos);
    let tail = -1;
    while (pos < len) {
      if (nextLF !== -1 && nextLF < pos) nextLF = buf.indexOf(LF, pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = buf.indexOf(CR, pos);
      const eol = nextLF === -1 ? nextCR : nextCR === -1 || nextLF < nextCR ? nextLF : nextCR;
      if (eol === -1) {
        tail = pos;
        break;
      }
      if (this.carryLen > 0) {
        // the line began in an earlier push
        if (!this.appendCarry(buf, pos, eol)) return;
        this.line(this.carry, 0, this.carryLen, nowMs);
        this.carryLen = 0;
      } else {
        this.line(buf, pos, eol, nowMs);
      }
      if (this.halted) return;
      if (buf[eol] === CR) {
        if (eol + 1 < len) pos = buf[eol + 1] === LF ? eol + 2 : eol + 1;
        else {
          this.skipLF = true;
          pos = eol + 1;
        }
      } else {
        pos = eol + 1;
      }
    }
    // Before the chunk is let go (and before the carry is overwritten: the reference may point into
    // it), copy a pending single data line into our own buffer.
    if (this.refBuf !== null) this.materializeRef();
    if (tail !== -1) this.appendCarry(buf, tail, len);
  }

  /** The event grew past MAX_EVENT_BYTES: nothing more is read. */
  private failOversized(): void {
    this.onOversized();
    this.halted = true;
    this.carryLen = 0;
    this.dataLen = 0;
    this.refBuf = null;
  }

  /** Appends buf[s, e) to the carry; false (and halted) when the event grows past the limit. */
  private appendCarry(buf: Buffer, s: number, e: number): boolean {
    const n = e - s;
    const needed = this.carryLen + n;
    if (this.eventBytes + needed > MAX_EVENT_BYTES) {
      this.failOversized();
      return false;
    }
    if (needed > this.carry.length) this.carry = grow(this.carry, this.carryLen, needed);
    buf.copy(this.carry, this.carryLen, s, e);
    this.carryLen = needed;
    return true;
  }

  /** One line, terminator excluded. */
  private line(buf: Buffer, s: number, e: number, nowMs: number): void {
    // counted before the BOM is stripped, as appendCarry counts, so a split never changes the verdict
    this.eventBytes += e - s;
    if (this.eventBytes > MAX_EVENT_BYTES) {
      this.failOversized();
      return;
    }
    if (this.atStreamStart) {
      this.atStreamStart = false;
      if (e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3; // BOM
    }
    const n = e - s;
    if (n === 0) {
      this.dispatch(nowMs);
      return;
    }
    // "data" followed by ':' or the end of the line; every other field, and comments, are ignored
    if (
      n >= 4 &&
      buf[s] === 0x64 &&
      buf[s + 1] === 0x61 &&
      buf[s + 2] === 0x74 &&
      buf[s + 3] === 0x61 &&
      (n === 4 || buf[s + 4] === COLON)
    ) {
      let v = s + 4;
      if (n > 4) {
        v++;
        if (v < e && buf[v] === SPACE) v++;
      }
      this.appendData(buf, v, e);
    }
  }

  private appendData(buf: Buffer, s: number, e: number): void {
    if (this.dataLines === 0) {
      this.dataLines = 1;
      this.refBuf = buf;
      this.refStart = s;
      this.refEnd = e;
      return;
    }
    if (this.refBuf !== null) this.materializeRef();
    const needed = this.dataLen + 1 + (e - s);
    if (needed > this.data.length) this.data = grow(this.data, this.dataLen, needed);
    this.data[this.dataLen] = LF;
    buf.copy(this.data, this.dataLen + 1, s, e);
    this.dataLen = needed;
    this.dataLines++;
  }

  private materializeRef(): void {
    const ref = this.refBuf as Buffer;
    const n = this.refEnd - this.refStart;
    if (n > this.data.length) this.data = grow(this.data, 0, n);
    ref.copy(this.data, 0, this.refStart, this.refEnd);
    this.dataLen = n;
    this.refBuf = null;
  }

  /** A blank line: the event is complete. */
  private dispatch(nowMs: number): void {
    this.eventBytes = 0;
    if (this.dataLines === 0) return;
    this.dataLines = 0;
    let buf: Buffer;
    let s: number;
    let e: number;
    if (this.refBuf !== null) {
      buf = this.refBuf;
      s = this.refStart;
      e = this.refEnd;
      this.refBuf = null;
    } else {
      buf = this.data;
      s = 0;
      e = this.dataLen;
    }
    this.dataLen = 0;
    while (s < e && (buf[s] === SPACE || buf[s] === LF || buf[s] === TAB)) s++;
    while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === LF || buf[e - 1] === TAB)) e--;
    if (s === e) return;
    this.onEventData(buf, s, e, nowMs);
  }
}
