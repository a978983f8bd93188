/**
 * Text from a server, made safe for a terminal: control characters (ESC of colour and screen
 * sequences, OSC title sequences, CR and LF that would fake lines, C1 controls) and the Unicode
 * direction overrides are shown as escapes (`\x1b`, `\r`, `\u202e`) instead of acting.
 */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
