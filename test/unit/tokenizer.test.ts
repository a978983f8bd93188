import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { defaultTokenizer, hfTokenizer, loadTokenizer } from '../../src/workload/tokenizer.js';
import { ServebenchError } from '../../src/errors.js';

const FIX = join(import.meta.dirname, '../fixtures/prompts');
// Reference counts produced by the Hugging Face `tokenizers` library (see make_tokenizers.py).
const reference = JSON.parse(readFileSync(join(FIX, 'tokenizer-counts.json'), 'utf8')) as Record<string, Array<[string, number]>>;

describe('default tokenizer', () => {
  it('is cl100k_base from the gpt-tokenizer package, offline', () => {
    const t = defaultTokenizer();
    expect(t.name).toBe('cl100k_base');
    expect(t.count('')).toBe(0);
    expect(t.count('hello world')).toBe(2);
    expect(t.count('The quick brown fox jumps over the lazy dog.')).toBe(10);
    expect(loadTokenizer()).toBe(t);
    expect(loadTokenizer(undefined)).toBe(t);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(defaultTokenizer().count('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('loads another built-in encoding by name', () => {
    const t = loadTokenizer('o200k_base');
    expect(t.name).toBe('o200k_base');
    expect(t.count('hello world')).toBe(2);
  });
});

describe('local tokenizer.json', () => {
  for (const name of Object.keys(reference)) {
    it(`${name}: counts match the tokenizers library`, () => {
      const t = loadTokenizer(join(FIX, `${name}.tokenizer.json`));
      const got = reference[name].map(([text]) => [text, t.count(text)]);
      expect(got).toEqual(reference[name]);
    });
  }

  it('accepts the model directory that holds tokenizer.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(FIX, 'gpt2.tokenizer.json')));
    expect(loadTokenizer(dir).count('Hello world')).toBe(reference.gpt2[0][1]);
  });

  it('counts a long single-piece text (no pre-tokenizer) fast enough', () => {
    const t = loadTokenizer(join(FIX, 'llama2.tokenizer.json'));
    const text = readFileSync(join(FIX, 'corpus.txt'), 'utf8').repeat(20);
    const t0 = performance.now();
    const n = t.count(text);
    expect(n).toBeGreaterThan(text.length / 10);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('reports an unsupported model type naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-tok-'));
    const file = join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify({ model: { type: 'CharLevel', vocab: {} } }));
    expect(() => loadTokenizer(file)).toThrow(`${file}: unsupported tokenizer model type CharLevel`);
    try {
      loadTokenizer(file);
    } catch (e) {
      expect(e).toBeInstanceOf(ServebenchError);
      expect((e as ServebenchError).code).toBe('E_DATASET');
    }
    expect(() => hfTokenizer({ model: { type: 'BPE', vocab: {}, merges: [] }, pre_tokenizer: { type: 'Fancy' } }, 'x.json')).toThrow(
      'x.json: unsupported tokenizer pre_tokenizer type Fancy',
    );
  });

  it('reports a missing or broken file as E_DATASET naming it', () => {
    expect(() => loadTokenizer('models/llama/nope.json')).toThrow(/^models\/llama\/nope\.json: cannot read tokenizer \(ENOENT/);
    const dir = mkdtempSync(join(tmpdir(), 'sb-tok-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"model": ');
    expect(() => loadTokenizer(file)).toThrow(`${file}: not a valid tokenizer.json (`);
  });

  // A Split pre-tokenizer over a vocabulary of nothing: every piece becomes one [UNK], so the count
  // is the number of pieces the (Oniguruma) pattern cuts. Expected counts are the Rust library's.
  const splitter = (pattern: string) =>
    hfTokenizer(
      {
        pre_tokenizer: { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
        model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0 } },
      },
      'split.json',
    );

  it('runs scoped case-insensitive groups and possessive quantifiers as Oniguruma does', () => {
    const t = splitter("(?i:'s|'t)|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*");
    expect(t.count("IT'S 12345 ok?!")).toBe(7); // IT 'S ␠ 123 45 ␠ok ?!
    expect(t.count("DON'T stop!!\n\n")).toBe(4); // DON 'T ␠stop !!\n\n
    expect(splitter('(?i:[a-c]x)').count('AXbxCXdx')).toBe(4);
    expect(splitter('(?i:[^\\p{L}a])').count('aAbB')).toBe(1);
    expect(splitter('(?i:[^\\p{L}a])').count('1A2a3b')).toBe(6);
  });

  it('refuses a model type it would only pass text through', () => {
    expect(() => hfTokenizer({ model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } }, 'w.json')).toThrow('w.json: unsupported tokenizer model type WordLevel');
  });
});
