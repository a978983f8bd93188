/**
 * `tokenizer:` names a built-in encoding (`cl100k_base`, …), a tokenizer.json file, or a model
 * folder that holds one (and may hold the chat template in tokenizer_config.json).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isBuiltinEncoding } from './tokenizer.js';
import type { Seg } from '../scenario/messages.js';
import type { ProblemList } from '../scenario/source.js';

/** The value to keep (the name, or the absolute path), or undefined after adding a problem. */
export function checkTokenizerField(problems: ProblemList, field: Seg[], rel: string, abs: string, shown: string): string | undefined {
  if (isBuiltinEncoding(rel)) return rel;
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.add(field, 'value', `cannot read ${shown}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    return undefined;
  }
  if (st.isFile()) return abs;
  if (st.isDirectory() && existsSync(join(abs, 'tokenizer.json'))) return abs;
  problems.add(field, 'value', `cannot read ${shown}: it is not a file (nor a folder with tokenizer.json)`);
  return undefined;
}
