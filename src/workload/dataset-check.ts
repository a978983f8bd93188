/**
 * A chat/completion dataset is checked when the scenario is, not first inside a worker thread:
 * there a broken line would surface as a dead worker (exit 3) instead of a scenario problem that
 * names the file and line (exit 2), and `validate` would pass a file `run` then refuses.
 */
import { ServebenchError } from '../errors.js';
import { readDataset } from './dataset.js';
import type { Seg } from '../scenario/messages.js';
import type { ProblemList } from '../scenario/source.js';

export function checkDatasetFile(problems: ProblemList, field: Seg[], abs: string, shown: string): void {
  try {
    readDataset(abs, shown);
  } catch (e) {
    if (!(e instanceof ServebenchError)) throw e;
    const located = e.problems.filter((p) => p.line > 0);
    if (located.length === 0) {
      // A whole-file error names its line in the message ("<file>:<line>: …"): locate it there.
      const m = /^([\s\S]*?):(\d+): ([\s\S]*)$/.exec(e.message);
      if (m && m[1] === shown) problems.external(shown, Number(m[2]), 1, field, `line ${m[2]}: ${m[3]}`);
      else problems.add(field, 'value', e.message);
      return;
    }
    for (const p of located.slice(0, 10)) problems.external(p.file, p.line, p.col, field, `line ${p.line}: ${p.message}`);
    if (located.length > 10) problems.add(field, 'value', `${shown}: ${located.length - 10} more bad lines`);
  }
}
