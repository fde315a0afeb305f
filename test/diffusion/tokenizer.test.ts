import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClipTokenizer } from '../../libs/diffusion/src/tokenizer/clip-tokenizer';
import { fixtureExpected, fixtureModel, type FixtureName } from '../support/paths';

const FIXTURES: readonly FixtureName[] = ['tiny-sd15', 'tiny-sd21v'];

interface ExpectedTokens {
  text: string;
  ids: number[];
}

const loaded = new Map<FixtureName, Promise<ClipTokenizer>>();
/** Each fixture's tokenizer, loaded once for the whole file. */
function fixtureTokenizer(name: FixtureName): Promise<ClipTokenizer> {
  if (!loaded.has(name)) loaded.set(name, ClipTokenizer.fromFolder(join(fixtureModel(name), 'tokenizer')));
  return loaded.get(name)!;
}

async function loadExpected(name: FixtureName): Promise<ExpectedTokens[]> {
  return JSON.parse(await readFile(join(fixtureExpected(name), 'tokenizer.json'), 'utf8')) as ExpectedTokens[];
}

/** The ids between the start token and the first end token. */
function textIds(tok: ClipTokenizer, ids: Int32Array): number[] {
  assert.equal(ids[0], tok.bosId);
  const end = ids.indexOf(tok.eosId, 1);
  assert.ok(end > 0, 'no end token');
  return Array.from(ids.subarray(1, end));
}

/** A tokenizer folder made from a fixture's vocab and merges with the given config files. */
async function tokenizerFolder(files: Record<string, unknown>, copy = ['vocab.json', 'merges.txt']): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clip-tokenizer-'));
  const source = join(fixtureModel('tiny-sd15'), 'tokenizer');
  for (const name of copy) await copyFile(join(source, name), join(dir, name));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), JSON.stringify(content));
  return dir;
}

for (const name of FIXTURES) {
  describe(`ClipTokenizer on ${name}`, () => {
    let tok: ClipTokenizer;
    let expected: ExpectedTokens[];
    before(async () => {
      tok = await fixtureTokenizer(name);
      expected = await loadExpected(name);
    });

    it('gives exactly the reference ids for every fixture prompt', () => {
      assert.ok(expected.length > 0);
      for (const { text, ids } of expected) {
        assert.deepEqual(Array.from(tok.encode(text)), ids, `prompt ${JSON.stringify(text)}`);
      }
    });

    it('pads with the pad token of tokenizer_config.json', async () => {
      const config = JSON.parse(await readFile(join(fixtureModel(name), 'tokenizer', 'tokenizer_config.json'), 'utf8')) as { pad_token: string };
      const vocab = JSON.parse(await readFile(join(fixtureModel(name), 'tokenizer', 'vocab.json'), 'utf8')) as Record<string, number>;
      assert.equal(tok.padId, vocab[config.pad_token]);
      const ids = tok.encode('a cat');
      assert.deepEqual(Array.from(ids.subarray(4)), new Array(tok.maxLength - 4).fill(tok.padId));
    });

    it('encodes the empty string (and whitespace only) as start, end, padding', () => {
      const want = [tok.bosId, tok.eosId, ...new Array(tok.maxLength - 2).fill(tok.padId)];
      assert.deepEqual(Array.from(tok.encode('')), want);
      assert.deepEqual(Array.from(tok.encode(' \t\n\u3000 ')), want);
    });

    it('truncates a 200-word prompt to 75 text ids, keeping its beginning', () => {
      const words = Array.from({ length: 200 }, (_, i) => ['red', 'castle', 'under', 'stormy', 'skies', `n${i}`][i % 6]);
      const long = tok.encode(words.join(' '));
      assert.equal(long.length, tok.maxLength);
      assert.equal(long[0], tok.bosId);
      assert.equal(long[tok.maxLength - 1], tok.eosId);
      const head = textIds(tok, tok.encode(words.slice(0, 12).join(' ')));
      assert.ok(head.length > 12 && head.length < 75);
      assert.deepEqual(Array.from(long.subarray(1, 1 + head.length)), head);
    });

    it('folds whitespace runs and trims', () => {
      const plain = tok.encode('a photo of a cat');
      for (const variant of ['  a  photo\tof\n\na   cat ', 'a\u00a0photo\u2003of\r\na\u3000cat', '\na photo of a cat\n']) {
        assert.deepEqual(tok.encode(variant), plain, JSON.stringify(variant));
      }
      assert.notDeepEqual(tok.encode('a photoof a cat'), plain);
    });

    it('lower-cases, including non-ASCII letters', () => {
      assert.deepEqual(tok.encode('A PHOTO Of A Cat'), tok.encode('a photo of a cat'));
      assert.deepEqual(tok.encode('ÉCOLE ΟΔΟΣ'), tok.encode('école οδος'));
    });

    it('applies the ftfy fixes: curly quotes, mojibake, ligatures, NFC, full width', () => {
      assert.deepEqual(tok.encode('it\u2019s \u201cgreat\u201d'), tok.encode('it\'s "great"'));
      assert.deepEqual(tok.encode('a cafÃ© in the rain'), tok.encode('a café in the rain'));
      assert.deepEqual(tok.encode('a ﬁne ﬂower'), tok.encode('a fine flower'));
      assert.deepEqual(tok.encode('cafe\u0301'), tok.encode('caf\u00e9'));
      assert.deepEqual(tok.encode('ＬＯＵＤ　ｃａｔ'), tok.encode('loud cat'));
      // HTML entities stay as written (see test/fixtures/README.md).
      assert.notDeepEqual(tok.encode('fish &amp; chips'), tok.encode('fish & chips'));
    });

    it('maps special tokens written in the prompt to their ids', () => {
      const ids = textIds(tok, tok.encode('a<|startoftext|>b'));
      assert.deepEqual(ids, [...textIds(tok, tok.encode('a')), tok.bosId, ...textIds(tok, tok.encode('b'))]);
      // Not split out (the match is case-sensitive), but lower-cased and kept whole by CLIP's regex.
      assert.deepEqual(tok.encode('a <|ENDOFTEXT|> b'), tok.encode('a <|endoftext|> b'));
    });

    it('encodes a batch as rows of encode()', () => {
      const texts = ['a red cube', '', 'Ünïcödé 🚗'];
      const batch = tok.encodeBatch(texts);
      assert.equal(batch.length, texts.length * tok.maxLength);
      texts.forEach((text, i) => {
        assert.deepEqual(batch.subarray(i * tok.maxLength, (i + 1) * tok.maxLength), tok.encode(text));
      });
    });
  });
}

describe('ClipTokenizer: the pad token is split out of prompts, as transformers does', () => {
  it('SD 2.x pads with "!", so every "!" becomes the pad id; SD 1.x keeps "!" as BPE text', async () => {
    const sd21 = await fixtureTokenizer('tiny-sd21v');
    const sd15 = await fixtureTokenizer('tiny-sd15');
    assert.deepEqual(textIds(sd21, sd21.encode('! !! !!!')), new Array(6).fill(sd21.padId));
    const pieces = ['!', '!!', '!!!'].flatMap((w) => textIds(sd15, sd15.encode(w)));
    assert.deepEqual(textIds(sd15, sd15.encode('! !! !!!')), pieces);
    assert.ok(!pieces.includes(sd21.padId));
  });
});

describe('ClipTokenizer: other configurations and bad folders', () => {
  const made: string[] = [];
  const folder = async (files: Record<string, unknown>, copy?: string[]) => {
    const dir = await tokenizerFolder(files, copy);
    made.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });

  it('honours another model_max_length, AddedToken objects and a config without special_tokens_map.json', async () => {
    const dir = await folder({
      'tokenizer_config.json': {
        bos_token: { __type: 'AddedToken', content: '<|startoftext|>', lstrip: false, rstrip: false },
        eos_token: { __type: 'AddedToken', content: '<|endoftext|>', lstrip: false, rstrip: false },
        pad_token: '!',
        model_max_length: 16,
      },
    });
    const tok = await ClipTokenizer.fromFolder(dir);
    const ref = await fixtureTokenizer('tiny-sd21v');
    assert.equal(tok.maxLength, 16);
    const ids = tok.encode('a castle on a hill at dawn, oil painting by a master of the old school');
    assert.equal(ids.length, 16);
    assert.equal(ids[15], tok.eosId);
    assert.deepEqual(Array.from(ids.subarray(0, 15)), Array.from(ref.encode('a castle on a hill at dawn, oil painting by a master of the old school').subarray(0, 15)));
    assert.deepEqual(Array.from(tok.encode('cat').subarray(3)), new Array(13).fill(ref.padId));
  });

  it('names the missing file', async () => {
    const config = { 'tokenizer_config.json': { model_max_length: 77 } };
    await assert.rejects(ClipTokenizer.fromFolder(await folder(config, ['merges.txt'])), /vocab\.json is missing/);
    await assert.rejects(ClipTokenizer.fromFolder(await folder(config, ['vocab.json'])), /merges\.txt is missing/);
    await assert.rejects(ClipTokenizer.fromFolder(await folder({})), /tokenizer_config\.json is missing/);
  });

  it('names the bad field', async () => {
    await assert.rejects(ClipTokenizer.fromFolder(await folder({ 'tokenizer_config.json': {} })), /model_max_length is missing/);
    await assert.rejects(
      ClipTokenizer.fromFolder(await folder({ 'tokenizer_config.json': { model_max_length: 1e30 } })),
      /model_max_length must be an integer from 2 to/,
    );
    await assert.rejects(
      ClipTokenizer.fromFolder(await folder({ 'tokenizer_config.json': { model_max_length: 77, pad_token: '<pad>' } })),
      /pad_token "<pad>" is not in vocab\.json/,
    );
  });
});

describe('ClipTokenizer: speed', () => {
  it('encodes 256 prompts of 2000 characters well under a second', async () => {
    const tok = await fixtureTokenizer('tiny-sd15');
    const words = ['photo', 'of', 'an', 'Astronaut', 'riding', 'a', 'horse,', 'café', 'it\u2019s', '4k', '日本語', '🚗', '(masterpiece:1.2)', 'trending'];
    const prompt = (seed: number) => {
      let s = '';
      for (let i = seed; s.length < 2000; i = (i * 7 + 3) % 1009) s += `${words[i % words.length]}${i % 11 === 0 ? 'x' + i : ''} `;
      return s.slice(0, 2000);
    };
    tok.encodeBatch([prompt(1), prompt(2)]);
    const prompts = Array.from({ length: 256 }, (_, i) => prompt(i + 10));
    const start = performance.now();
    const ids = tok.encodeBatch(prompts);
    const ms = performance.now() - start;
    assert.equal(ids.length, 256 * tok.maxLength);
    assert.ok(ms < 1000, `256 prompts took ${ms.toFixed(0)} ms`);
  });
});
