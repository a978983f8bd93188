/**
 * Where a .json scenario breaks strict JSON, as an offset and a message. YAML accepts a trailing
 * comma, comments and bare words in JSON-looking text; a `.json` file must parse in every other JSON
 * tool too. Node's JSON.parse gives no position for some errors (`[1,]`), so trailing commas, the
 * common slip, are found by a scan first.
 */
import { errText } from '../util/values.js';

export interface JsonSyntaxError {
  message: string;
  offset: number;
}

export function jsonError(text: string): JsonSyntaxError | undefined {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (text.trim().length === bom) return undefined; // an empty file is reported as empty
  const comma = trailingComma(text);
  if (comma) return comma;
  try {
    JSON.parse(bom ? text.slice(1) : text);
    return undefined;
  } catch (e) {
    const message = errText(e);
    const m = /^(.*?) in JSON at position (\d+)/.exec(message);
    if (m) return { message: m[1], offset: Number(m[2]) + bom };
    if (/^Unexpected end of JSON input/.test(message)) return { message: 'unexpected end of input', offset: text.length };
    // `Unexpected token 'x', "…" is not valid JSON`: the token's first occurrence outside strings.
    const t = /^Unexpected token '(.)'/.exec(message);
    const at = t ? firstOutsideStrings(text, t[1]) : -1;
    return { message: message.replace(/, ".*" is not valid JSON$/s, ''), offset: Math.max(0, at) };
  }
}

/** Calls `visit(i)` for each character index outside string literals (and each opening quote); true stops. */
function eachOutsideStrings(text: string, visit: (i: number) => boolean | void): void {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (visit(i) === true) return;
  }
}

function trailingComma(text: string): JsonSyntaxError | undefined {
  let lastComma = -1;
  let found: JsonSyntaxError | undefined;
  eachOutsideStrings(text, (i) => {
    const c = text[i];
    if (c === ',') lastComma = i;
    else if ((c === '}' || c === ']') && lastComma >= 0) {
      found = { message: `trailing comma before '${c}'`, offset: lastComma };
      return true;
    } else if (!/\s/.test(c)) lastComma = -1;
  });
  return found;
}

function firstOutsideStrings(text: string, ch: string): number {
  let at = -1;
  eachOutsideStrings(text, (i) => {
    if (text[i] === ch) {
      at = i;
      return true;
    }
  });
  return at;
}
