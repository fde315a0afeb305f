import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { encodePng } from '../../libs/imaging/src/encode-png';
import { parametersText, type ImageParameters } from '../../libs/imaging/src/parameters-text';

const base: ImageParameters = {
  prompt: 'There is a pink BMW Mini at the exhibition where the lights focus',
  negativePrompt: 'blurry',
  steps: 25,
  scheduler: 'PNDMScheduler',
  guidanceScale: 7.5,
  seed: 1234,
  width: 96,
  height: 64,
  model: 'tiny-sd15',
  policy: { precision: 'float32', compile: 'eager' },
  runtime: { runtime: 'tfjs', backend: 'wasm', device: 'cpu', version: '4.22.0' },
  version: 'sdfarm 0.1.0',
};

test('the parameters text is laid out as AUTOMATIC1111 writes it', () => {
  const lines = parametersText(base).split('\n');
  assert.equal(lines[0], base.prompt);
  assert.equal(lines[1], 'Negative prompt: blurry');
  assert.equal(
    lines[2],
    'Steps: 25, Sampler: PLMS, CFG scale: 7.5, Seed: 1234, Size: 96x64, Model: tiny-sd15, Precision: float32, Compile: eager, Runtime: tfjs wasm, Version: sdfarm 0.1.0',
  );
  // No negative prompt: no line for it. A value with a comma or colon is quoted.
  const bare = parametersText({ ...base, negativePrompt: '', model: 'my,model:v2' }).split('\n');
  assert.equal(bare.length, 2);
  assert.match(bare[1]!, /Model: "my,model:v2"/);
});

function rgbGradient(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set([i % 256, (i * 7) % 256, 255 - (i % 256)], i * 3);
  return rgb;
}

test('PNGs decode to the same pixels and carry the parameters chunk (tEXt, or iTXt for non-Latin-1 text)', async () => {
  const rgb = rgbGradient(96, 64);
  for (const prompt of ['a pink car', 'ピンクのミニ 🚗']) {
    const text = parametersText({ ...base, prompt });
    const png = await encodePng(rgb, 96, 64, text);
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 96);
    assert.equal(meta.height, 64);
    assert.deepEqual(meta.comments, [{ keyword: 'parameters', text }]);
    const chunkType = png.subarray(37, 41).toString('latin1');
    assert.equal(chunkType, /^[\u0000-\u00ff]*$/.test(text) ? 'tEXt' : 'iTXt');
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    assert.deepEqual(new Uint8Array(data), rgb);
  }
});
