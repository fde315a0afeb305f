/** A tensor in host memory, row-major, images in NCHW order (PyTorch's layout). */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function hostTensor(data: Float32Array, shape: readonly number[]): HostTensor {
  if (data.length !== sizeOf(shape)) {
    throw new Error(`tensor data has ${data.length} values, shape [${shape.join(', ')}] needs ${sizeOf(shape)}`);
  }
  return { data, shape: [...shape] };
}
