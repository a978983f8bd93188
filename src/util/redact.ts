/**
 * Secrets never reach an output. Every message that may carry text from outside (errors, samples,
 * --verbose traces) passes through a Redactor built from the scenario's secrets.
 *
 * Besides whole secrets, any run of FRAGMENT_CHARS or more consecutive characters of a secret is
 * replaced: a text cut to length somewhere before (a proxy's, a server's) may hold only part of it.
 */
const MARK = '[REDACTED]';
/** Shortest piece of a secret worth hiding: 8 characters of a random key are still a real leak. */
export const FRAGMENT_CHARS = 8;

export class Redactor {
  private readonly secrets: string[];
  /** Every FRAGMENT_CHARS-long piece of every secret. */
  private readonly pieces = new Set<string>();

  constructor(secrets: ReadonlyArray<string | undefined>) {
    // Longest first so a key that contains another is replaced whole.
    this.secrets = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
    for (const s of this.secrets) for (let i = 0; i + FRAGMENT_CHARS <= s.length; i++) this.pieces.add(s.slice(i, i + FRAGMENT_CHARS));
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(MARK);
    out = this.redactFragments(out);
    // An authorization header value, however it got into the text.
    return out.replace(/(authorization["']?\s*[:=]\s*["']?)(ApiKey|Bearer|Basic)\s+[^\s"',}]+/gi, '$1$2 [REDACTED]');
  }

  /** Redacts, then cuts to `maxChars` (with '…'): the cut can then never split a secret. */
  snippet(text: string, maxChars: number): string {
    const r = this.redact(text);
    return r.length > maxChars ? r.slice(0, maxChars - 1) + '…' : r;
  }

  private redactFragments(text: string): string {
    if (this.pieces.size === 0 || text.length < FRAGMENT_CHARS) return text;
    // Mark every character covered by a piece of a secret, then replace each marked run once.
    let runStart = -1;
    let runEnd = -1;
    let out = '';
    let last = 0;
    for (let i = 0; i + FRAGMENT_CHARS <= text.length; i++) {
      if (!this.pieces.has(text.slice(i, i + FRAGMENT_CHARS))) continue;
      if (runStart >= 0 && i <= runEnd) runEnd = i + FRAGMENT_CHARS;
      else {
        if (runStart >= 0) {
          out += text.slice(last, runStart) + MARK;
          last = runEnd;
        }
        runStart = i;
        runEnd = i + FRAGMENT_CHARS;
      }
    }
    if (runStart < 0) return text;
    return out + text.slice(last, runStart) + MARK + text.slice(runEnd);
  }
}
