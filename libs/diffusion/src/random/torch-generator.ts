import { logAvx, sinCosAvx } from './avx-mathfun';
import { Mt19937 } from './mt19937';

const f32 = Math.fround;
/** torch's normal_fill transforms uniforms in blocks of this size; smaller tensors take the scalar path. */
const BLOCK = 16;
const TWO_POW_24 = 2 ** 24;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/**
 * PyTorch's CPU generator: `new TorchGenerator(seed).randn(shape)` equals
 * `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))` (torch 1.13, float32, as x86
 * CPUs with AVX2 compute it: bit for bit), and successive calls continue the stream as calls on the same
 * torch generator do.
 */
export class TorchGenerator {
  private readonly engine: Mt19937;
  /** The scalar path makes normals in pairs and keeps the second for the next draw, as torch does. */
  private cachedNormal: number | null = null;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`TorchGenerator: seed must be an integer in [0, ${Number.MAX_SAFE_INTEGER}], got ${seed}`);
    this.engine = new Mt19937(seed);
  }

  randn(shape: readonly number[]): Float32Array<ArrayBuffer> {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`TorchGenerator.randn: invalid shape [${shape.join(', ')}]`);
    const size = shape.reduce((a, b) => a * b, 1);
    return size >= BLOCK ? this.normalFill(size) : this.normalScalar(size);
  }

  /** torch's normal_fill: uniforms for every element first, then Box-Muller in blocks of 16; a partial last block is redrawn over the last 16 elements. */
  private normalFill(size: number): Float32Array<ArrayBuffer> {
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = this.uniformFloat();
    for (let i = 0; i + BLOCK <= size; i += BLOCK) boxMuller16(data, i);
    if (size % BLOCK !== 0) {
      const start = size - BLOCK;
      for (let i = 0; i < BLOCK; i++) data[start + i] = this.uniformFloat();
      boxMuller16(data, start);
    }
    return data;
  }

  /** torch's serial path: at::normal_distribution<double>, one element at a time. */
  private normalScalar(size: number): Float32Array<ArrayBuffer> {
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = this.normalDouble();
    return data;
  }

  private normalDouble(): number {
    if (this.cachedNormal !== null) {
      const cached = this.cachedNormal;
      this.cachedNormal = null;
      return cached;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** 24 random bits scaled to [0, 1). */
  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) / TWO_POW_24;
  }

  /** 53 random bits from two draws (the first is the high word) scaled to [0, 1). */
  private uniformDouble(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) / TWO_POW_53;
  }
}

const TWO_PI = f32(2 * Math.PI);

/**
 * torch's normal_fill_16_AVX2 (the kernel x86 CPUs with AVX2 run): Box-Muller on the 8 pairs
 * (u[j], u[j + 8]), in float32 with avx_mathfun's log and sin/cos.
 */
function boxMuller16(data: Float32Array, offset: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - data[offset + j]!);
    const radius = f32(Math.sqrt(f32(-2 * logAvx(u1))));
    const { sin, cos } = sinCosAvx(f32(TWO_PI * data[offset + j + 8]!));
    data[offset + j] = f32(radius * cos);
    data[offset + j + 8] = f32(radius * sin);
  }
}
