/**
 * Maps transport failures to DESIGN.md's error classes, the same for both HTTP clients (the table
 * is docs/http-errors.md). undici and Node report the same failure under several codes; the lean
 * client (transport/h1.ts) raises undici's codes; the class is what a user compares across runs. `reset` is
 * kept for a connection that ended or was reset; an answer that arrived but is not HTTP is
 * `invalid_response`.
 */
import type { ErrorClass } from '../metrics/records.js';
import { MAX_RESPONSE_HEAD_BYTES } from '../transport/errors.js';

/** Set on errors that our own whole-request deadline raised (undici sees them as aborts). */
export const TIMEOUT_MARK = 'servebench-timeout';

const CONNECT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED']);
/**
 * Answers that arrived but cannot be read as HTTP: undici's body that ends off its Content-Length
 * (a duplicate, differing or unrepresentable length) and heads over the limit.
 */
const INVALID = new Set(['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_HEADERS_OVERFLOW']);

/** HTTP status codes are 100–599 (RFC 9110 §15); anything else is not an HTTP answer. */
export function isHttpStatus(status: number): boolean {
  return status >= 100 && status <= 599;
}

/** Set on errors that abort a response grown past target.maxResponseBytes. */
export const OVER_CAP_MARK = 'servebench-over-cap';

export function classifyError(err: unknown): ErrorClass {
  const e = err as { code?: string; message?: string; cause?: unknown; name?: string } | null;
  if (!e) return 'reset';
  if (e.message === TIMEOUT_MARK || e.name === TIMEOUT_MARK) return 'timeout';
  if (e.name === OVER_CAP_MARK) return 'invalid_response';
  // The server answered, but not in HTTP (another service on the port, a broken proxy).
  if (e.name === 'HTTPParserError') return 'invalid_response';
  const code = e.code ?? '';
  if (TIMEOUT.has(code)) return 'timeout';
  if (CONNECT.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) return 'connect';
  // undici destroys the socket on an answer it will not take (an unsolicited 100 Continue, an upgrade):
  // the server did answer, so the class is that of an answer that could not be used.
  if (code === 'UND_ERR_SOCKET' && e.message === 'bad response') return 'invalid_response';
  if (RESET.has(code)) {
    // undici wraps the socket's own error; a refused or TLS-failed connect arrives as UND_ERR_SOCKET too.
    if (e.cause) {
      const inner = classifyError(e.cause);
      if (inner === 'connect') return inner;
    }
    return 'reset';
  }
  if (code.startsWith('HPE_') || INVALID.has(code)) return 'invalid_response';
  if (e.cause) return classifyError(e.cause);
  return 'reset';
}

/** A one-line description of a transport error for the summary's samples. */
export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  if (!e) return 'unknown error';
  if (e.message === TIMEOUT_MARK) return 'request timed out';
  if ((e as { name?: string }).name === TIMEOUT_MARK || (e as { name?: string }).name === OVER_CAP_MARK) return e.message ?? 'unknown error';
  if (e.code === 'UND_ERR_HEADERS_OVERFLOW') return `${e.code}: response head over ${MAX_RESPONSE_HEAD_BYTES} bytes (the limit of both clients)`;
  if (e.code === 'UND_ERR_SOCKET' && e.message === 'bad response') return `${e.code}: bad response (undici refuses a 1xx or an upgrade it did not ask for, such as an unsolicited 100 Continue)`;
  if (e.code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return `${e.code}: the body does not match its Content-Length (a duplicate, differing or unrepresentable length, or a body longer than announced)`;
  const parts = [e.code, e.message].filter(Boolean).join(': ');
  const inner = e.cause && (e.cause.code || e.cause.message) ? ` (${[e.cause.code, e.cause.message].filter(Boolean).join(': ')})` : '';
  return (parts || String(err)) + inner;
}
