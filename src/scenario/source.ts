/**
 * YAML/JSON text → a plain JS tree plus a side index of where each value came from.
 *
 * The tree is what zod validates; the index (a `Locator`) maps a field path back to a source
 * position, so any problem found later (by zod, by the semantic checks, or in a --set override)
 * can be reported at the right line and column. Keeping positions beside the tree, instead of
 * validating yaml's node objects, lets --set overrides and ${VAR} substitution edit plain data
 * while the positions stay right.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import type { Problem } from '../errors.js';
import { jsonError } from './json-syntax.js';
import { closest, formatPath, missingKeyMessage, unknownKeyMessage, type Path, type Seg } from './messages.js';

export interface Pos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Sort key: offset in the scenario file; --set entries sort after the file. */
  readonly rank: number;
}

const SET_RANK = 1e15;

export function setPos(index: number): Pos {
  return { file: '--set', line: 1, col: index + 1, rank: SET_RANK + index };
}

function keyOf(path: Path): string {
  return JSON.stringify(path);
}

export class Locator {
  private readonly keys = new Map<string, Pos>();
  private readonly values = new Map<string, Pos>();

  constructor(readonly root: Pos) {}

  setKey(path: Path, pos: Pos): void {
    this.keys.set(keyOf(path), pos);
  }

  setValue(path: Path, pos: Pos): void {
    this.values.set(keyOf(path), pos);
  }

  /** A --set replaced the value at path: forget the file positions under it. */
  override(path: Path, pos: Pos): void {
    const prefix = keyOf(path).slice(0, -1) + ',';
    for (const m of [this.keys, this.values]) {
      for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k);
    }
    this.setKey(path, pos);
    this.setValue(path, pos);
  }

  /** Where the value at path is, or the nearest enclosing value that has a position. */
  value(path: Path): Pos {
    for (let n = path.length; n >= 0; n--) {
      const p = this.values.get(keyOf(path.slice(0, n)));
      if (p) return p;
    }
    return this.root;
  }

  /** Where the key of the entry at path is (falls back to its value). */
  key(path: Path): Pos {
    return this.keys.get(keyOf(path)) ?? this.value(path);
  }

  parent(path: Path): Pos {
    return this.value(path.slice(0, -1));
  }
}

export type Where = 'key' | 'value' | 'parent';

interface Entry {
  readonly problem: Problem;
  readonly rank: number;
  readonly sub: number;
  readonly seq: number;
  /** A missing key, dropped when an unknown key nearby was already suggested as it. */
  readonly missing?: boolean;
}

/** Collects every problem, then lists them in source order without duplicates. */
export class ProblemList {
  private readonly entries: Entry[] = [];
  /** Paths already reported for a cause that makes every further problem there noise. */
  private readonly quiet = new Set<string>();
  private readonly suggested = new Set<string>();

  constructor(private readonly loc: Locator) {}

  /** Report nothing more at this path (an unset ${VAR} would also be "an empty string"). */
  silence(path: Path): void {
    this.quiet.add(formatPath(path));
  }

  get size(): number {
    return this.entries.length;
  }

  /** `sub` orders problems at the same place: external() uses the line, so Infinity lists last. */
  add(path: Path, where: Where, message: string, sub = 0): void {
    if (this.quiet.has(formatPath(path))) return;
    const pos = where === 'key' ? this.loc.key(path) : where === 'parent' ? this.loc.parent(path) : this.loc.value(path);
    this.atPos(pos, formatPath(path), message, sub);
  }

  /** `missing required key 'rps'` at the parent mapping, unless `rsp` was already reported as a typo of it. */
  missing(path: Path): void {
    const pos = this.loc.parent(path);
    const problem = { file: pos.file, line: pos.line, col: pos.col, path: formatPath(path), message: missingKeyMessage(path[path.length - 1]) };
    this.entries.push({ problem, rank: pos.rank, sub: 0, seq: this.entries.length, missing: true });
  }

  /** An unknown key, with the closest known key as a suggestion. */
  unknown(path: Path, known: readonly string[]): void {
    const key = String(path[path.length - 1]);
    this.add(path, 'key', unknownKeyMessage(key, known));
    const near = closest(key, known);
    if (near !== undefined) this.suggested.add(formatPath([...path.slice(0, -1), near]));
  }

  atPos(pos: Pos, path: string, message: string, sub = 0): void {
    this.entries.push({
      problem: { file: pos.file, line: pos.line, col: pos.col, path, message },
      rank: pos.rank,
      sub,
      seq: this.entries.length,
    });
  }

  /** A problem inside another file (a JSONL line), listed where the field naming that file is. */
  external(file: string, line: number, col: number, anchor: Path, message: string): void {
    const at = this.loc.value(anchor);
    this.entries.push({
      problem: { file, line, col, path: formatPath(anchor), message },
      rank: at.rank,
      sub: line,
      seq: this.entries.length,
    });
  }

  list(): Problem[] {
    const sorted = [...this.entries].sort((a, b) => a.rank - b.rank || a.sub - b.sub || a.seq - b.seq);
    const seen = new Set<string>();
    const out: Problem[] = [];
    for (const { problem: p, missing } of sorted) {
      if (missing && this.suggested.has(p.path)) continue;
      const k = `${p.file}\0${p.line}\0${p.col}\0${p.path}\0${p.message}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(p);
      }
    }
    return out;
  }
}

export interface ParsedSource {
  /** undefined when the document is empty. */
  readonly root: unknown;
  readonly locator: Locator;
  /** YAML syntax errors: when any, the tree is not worth validating. */
  readonly syntax: Problem[];
  readonly warnings: string[];
}

/** Aliases are expanded while building the tree: cap it, as yaml's toJS does, against alias bombs. */
const MAX_ALIAS_EXPANSIONS = 1000;

export function parseSource(text: string, file: string): ParsedSource {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Pos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, col, rank: offset };
  };
  const locator = new Locator({ file, line: 1, col: 1, rank: 0 });
  const syntax = syntaxProblems(doc, text, file, at);
  const warnings = doc.warnings.map((w) => {
    const p = at(w.pos[0]);
    return `${file}:${p.line}:${p.col}  ${w.message}`;
  });
  if (syntax.length > 0 || doc.contents == null) return { root: undefined, locator, syntax, warnings };
  const tree = new TreeBuilder(doc as Document, file, at, locator, syntax);
  let root: unknown;
  try {
    root = tree.convert(doc.contents, [], locator.root);
  } catch (e) {
    if (!(e instanceof TooManyAliases)) throw e;
    syntax.push({ file, line: 1, col: 1, path: '', message: `more than ${MAX_ALIAS_EXPANSIONS} alias expansions; is this an alias bomb?` });
  }
  return { root, locator, syntax, warnings };
}

/** The document's syntax errors, in order; a .json file is held to strict JSON. */
function syntaxProblems(doc: { errors: ReadonlyArray<{ pos: [number, number]; message: string }> }, text: string, file: string, at: (offset: number) => Pos): Problem[] {
  const syntax: Problem[] = doc.errors
    .map((e) => {
      const p = at(e.pos[0]);
      return { file, line: p.line, col: p.col, path: '', message: e.message };
    })
    .sort((a, b) => a.line - b.line || a.col - b.col);
  if (/\.json$/i.test(file)) {
    // A .json file is strict JSON: YAML would take a trailing comma, a comment or a bare word, and
    // the file would then fail in every other JSON tool. JSON.parse says what a JSON user expects.
    const j = jsonError(text);
    if (j) {
      const p = at(j.offset);
      return [{ file, line: p.line, col: p.col, path: '', message: `invalid JSON: ${j.message}` }];
    }
  }
  return syntax;
}

/**
 * The document's nodes as a plain tree, with every key and value located (locator); aliases and
 * `<<` merges expanded, a broken or circular alias a syntax problem.
 */
class TreeBuilder {
  private expansions = 0;
  private readonly active = new Set<Node>();

  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly at: (offset: number) => Pos,
    private readonly locator: Locator,
    private readonly syntax: Problem[],
  ) {}

  private aliasProblem(node: Node, path: Seg[], fallback: Pos, message: string): void {
    const p = node.range ? this.at(node.range[0]) : fallback;
    this.syntax.push({ file: this.file, line: p.line, col: p.col, path: formatPath(path), message });
  }

  private resolveAlias(node: unknown, path: Seg[], fallback: Pos): Node | undefined {
    if (!isAlias(node)) return node as Node;
    const target = node.resolve(this.doc);
    if (!target) this.aliasProblem(node, path, fallback, `alias *${node.source} has no anchor &${node.source} before it`);
    else if (this.active.has(target)) this.aliasProblem(node, path, fallback, `alias *${node.source} refers to a value that contains it`);
    else if (++this.expansions > MAX_ALIAS_EXPANSIONS) throw new TooManyAliases();
    else return target;
    return undefined;
  }

  convert(node: unknown, path: Seg[], fallback: Pos): unknown {
    if (isAlias(node)) {
      const target = this.resolveAlias(node, path, fallback);
      if (!target) return null;
      this.active.add(target);
      try {
        return this.convert(target, path, fallback);
      } finally {
        this.active.delete(target);
      }
    }
    const here = (node as Node | null)?.range ? this.at((node as Node).range![0]) : fallback;
    this.locator.setValue(path, here);
    if (isMap(node)) return this.convertMap(node, path, here);
    if (isSeq(node)) return node.items.map((item, i) => this.convert(item, [...path, i], here));
    if (isScalar(node)) {
      const v = node.value;
      return typeof v === 'bigint' ? Number(v) : v;
    }
    return null;
  }

  private convertMap(node: YAMLMap, path: Seg[], here: Pos): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    // defineProperty: a key named __proto__ must stay an own (and therefore unknown) key.
    const put = (key: string, value: unknown): void => {
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    };
    for (const pair of node.items) {
      const keyNode = pair.key as unknown;
      const key = isScalar(keyNode) ? String(keyNode.value) : keyNode == null ? '' : String(keyNode);
      const keyPos = isScalar(keyNode) && keyNode.range ? this.at(keyNode.range[0]) : here;
      const v = pair.value as Node | null;
      if (key === MERGE && isScalar(keyNode) && keyNode.type === 'PLAIN' && (isAlias(v) || isSeq(v))) {
        this.merge(node, v, obj, put, path, keyPos);
        this.locator.setValue(path, here);
        continue;
      }
      const childPath = [...path, key];
      this.locator.setKey(childPath, keyPos);
      // `key:` with nothing after it: point at the key, not at the empty spot after the colon.
      const empty = isScalar(v) && v.range && v.range[0] === v.range[1];
      const value = this.convert(v, childPath, keyPos);
      if (empty || v == null) this.locator.setValue(childPath, keyPos);
      put(key, value);
    }
    return obj;
  }

  /**
   * `<<: *defaults` or `<<: [*a, *b]`: the mappings' entries, under the keys written here.
   * Earlier sources win over later ones, and keys written in this mapping over all.
   */
  private merge(node: YAMLMap, v: Node, obj: Record<string, unknown>, put: (k: string, v: unknown) => void, path: Seg[], keyPos: Pos): void {
    const sources = isSeq(v) ? v.items : [v];
    for (const src of sources) {
      const merged = this.convert(src, path, keyPos);
      if (merged === null || typeof merged !== 'object' || Array.isArray(merged)) {
        this.aliasProblem(src as Node, [...path, MERGE], keyPos, `'<<' merges mappings only`);
        continue;
      }
      for (const [k, mv] of Object.entries(merged)) if (!Object.hasOwn(obj, k) && !hasOwnKey(node, k)) put(k, mv);
    }
  }
}

class TooManyAliases extends Error {}

const MERGE = '<<';

function hasOwnKey(map: { items: { key: unknown }[] }, key: string): boolean {
  return map.items.some((p) => isScalar(p.key) && String(p.key.value) === key);
}
