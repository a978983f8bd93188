/**
 * Secrets never reach an output. Every message that may carry text from outside (errors, samples,
 * --verbose traces) passes through a Redactor built from the scenario's secrets.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    // Longest first so a key that contains another is replaced whole.
    this.secrets = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    // An authorization header value, however it got into the text.
    return out.replace(/(authorization["']?\s*[:=]\s*["']?)(ApiKey|Bearer|Basic)\s+[^\s"',}]+/gi, '$1$2 [REDACTED]');
  }
}
