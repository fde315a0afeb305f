import { TfjsRuntime } from './libs/diffusion/src/runtime/tfjs/tfjs-runtime';
(async () => {
  const rt = await TfjsRuntime.create();
  const w = { data: new Float32Array(320 * 320 * 9).fill(0.01), shape: [320, 320, 3, 3] };
  const ops = rt.createOps(new Map([['w', w]]));
  const spec = { name: 'w', shape: w.shape, kind: 'conv' as const };
  const x = ops.fromHost(new Float32Array(2 * 320 * 64 * 64).fill(0.5), [2, 320, 64, 64], 'image');
  const q = ops.fromHost(new Float32Array(2 * 4096 * 320).fill(0.1), [2, 4096, 320], 'plain');
  const time = (name: string, f: () => any) => { const t0 = Date.now(); rt.tf.tidy(() => { const r = f(); r.value.dataSync(); }); console.log(rt.info.backend, name, Date.now() - t0, 'ms'); };
  time('conv3x3 320->320 2x64x64 (warm)', () => ops.conv2d(x, ops.param(spec), undefined, { padding: 1 }));
  time('conv3x3 320->320 2x64x64', () => ops.conv2d(x, ops.param(spec), undefined, { padding: 1 }));
  time('attention 2x4096x320 8 heads', () => ops.attention(q, q, q, { heads: 8 }));

})();
