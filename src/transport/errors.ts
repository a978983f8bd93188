/**
 * Transport-level failures, made with the codes undici and Node give the same failure, so
 * engine/classify.ts puts both clients' errors in the same classes with one table.
 */

/** Both clients refuse a response head (status line and headers) over this many bytes. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

/** An error with the code undici gives the same failure. */
export function transportError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

/** A response the HTTP/1.1 grammar refuses; classed invalid_response like undici's parser errors. */
export function protocolError(detail: string, code = 'HPE_INVALID_CONSTANT'): Error {
  return Object.assign(new Error(`Response does not match the HTTP/1.1 protocol (${detail})`), { name: 'HTTPParserError', code });
}

/** A Transfer-Encoding whose last coding is not chunked: a body no client here can frame or decode. */
export function unsupportedCoding(value: string): Error {
  return protocolError(`unsupported transfer-encoding: ${value.slice(0, 40)}`, 'HPE_INVALID_TRANSFER_ENCODING');
}

/**
 * For undici's raw headers: the error a Transfer-Encoding other than chunked gets (undici would read
 * such a body until the close, and a kept-alive socket hangs to the deadline), else null.
 */
export function transferCodingError(rawHeaders: ReadonlyArray<Buffer | string>): Error | null {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const k = rawHeaders[i];
    if (k.length !== 17 || String(k).toLowerCase() !== 'transfer-encoding') continue;
    const v = String(rawHeaders[i + 1]);
    if (!/(^|,)[ \t]*chunked[ \t]*$/i.test(v)) return unsupportedCoding(v);
  }
  return null;
}
