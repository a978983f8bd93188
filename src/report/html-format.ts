/**
 * Escaping and number formatting for the HTML report. Formatting is locale-independent on purpose:
 * the same summary must render the same bytes on every machine (tests assert on the text).
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and for double- or single-quoted attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON for a `<script type="application/json">` element. Replacing every `<` (and the two line
 * separators) with its \u escape means no string in the data can close the element or open a
 * comment, while JSON.parse still reads back the same value.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** 1234567 → "1,234,567" (always commas, whatever the locale). */
function groupDigits(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtInt(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const r = Math.round(x);
  return (r < 0 ? '-' : '') + groupDigits(String(Math.abs(r)));
}

/** A fixed-decimals number with grouped thousands. */
function fmtFixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return '—';
  const s = Math.abs(x).toFixed(decimals);
  const [i, f] = s.split('.');
  const neg = x < 0 && Number(s) !== 0;
  return (neg ? '-' : '') + groupDigits(i) + (f ? '.' + f : '');
}

/**
 * Milliseconds with precision that follows magnitude: 0.042, 4.21, 42.1, 421, 4,210.
 * Sub-millisecond values (itl on a fast server, schedule lag) keep three decimals.
 */
export function fmtMs(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a < 1) return fmtFixed(x, 3);
  if (a < 10) return fmtFixed(x, 2);
  if (a < 100) return fmtFixed(x, 1);
  return fmtFixed(x, 0);
}

/** A general quantity (rates, token counts, threshold values): up to 2 decimals, trailing zeros dropped. */
export function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (Number.isInteger(x)) return fmtInt(x);
  const a = Math.abs(x);
  const s = fmtFixed(x, a >= 100 ? 1 : a >= 1 ? 2 : 3);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A ratio 0..1 as a percentage: 0.9876 → "98.76%". */
export function fmtPct(ratio: number, decimals = 2): string {
  if (!Number.isFinite(ratio)) return '—';
  return fmtFixed(ratio * 100, decimals) + '%';
}

/** 75.5 → "1m 15.5s", 3600 → "1h 0m 0s", 12 → "12s". */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round((seconds % 60) * 1000) / 1000;
  const sTxt = `${Number.isInteger(s) ? s : s.toFixed(Math.min(3, String(s).split('.')[1]?.length ?? 0))}s`;
  if (h > 0) return `${h}h ${m}m ${sTxt}`;
  if (m > 0) return `${m}m ${sTxt}`;
  return sTxt;
}

/** An ISO instant as "2025-06-02 09:30:00 UTC"; anything unparsable is shown as given. */
export function fmtInstant(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
}
