/** The API key goes into an HTTP header: refuse at validation what no header can carry. */

/**
 * Why an API key cannot be sent in an HTTP header (CR, LF and other control characters, or
 * characters past Latin-1), or undefined. Names the position, never the key.
 */
export function apiKeyProblem(key: string): string | undefined {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      const name = c === 0x0d ? 'a carriage return (CR)' : c === 0x0a ? 'a line feed (LF)' : `the control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
      return `the API key holds ${name} at position ${i + 1}: an HTTP header cannot carry it (a key copied with its line ending?)`;
    }
    if (c > 0xff) return `the API key holds a character past Latin-1 (U+${c.toString(16).padStart(4, '0').toUpperCase()}) at position ${i + 1}: an HTTP header cannot carry it`;
  }
  return undefined;
}
