/**
 * Maps transport failures to DESIGN.md's error classes. undici and Node report the same failure
 * under several codes; the class is what a user compares across runs.
 */
import type { ErrorClass } from '../metrics/records.js';

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
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);

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
  if (RESET.has(code)) {
    // undici wraps the socket's own error; a refused or TLS-failed connect arrives as UND_ERR_SOCKET too.
    if (e.cause) {
      const inner = classifyError(e.cause);
      if (inner === 'connect') return inner;
    }
    return 'reset';
  }
  if (code.startsWith('HPE_')) return 'invalid_response';
  if (e.cause) return classifyError(e.cause);
  return 'reset';
}

/** A one-line description of a transport error for the summary's samples. */
export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  if (!e) return 'unknown error';
  if (e.message === TIMEOUT_MARK) return 'request timed out';
  if ((e as { name?: string }).name === TIMEOUT_MARK || (e as { name?: string }).name === OVER_CAP_MARK) return e.message ?? 'unknown error';
  const parts = [e.code, e.message].filter(Boolean).join(': ');
  const inner = e.cause && (e.cause.code || e.cause.message) ? ` (${[e.cause.code, e.cause.message].filter(Boolean).join(': ')})` : '';
  return (parts || String(err)) + inner;
}
