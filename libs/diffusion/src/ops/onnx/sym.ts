/** Element types a recorded value can have. */
export type SymDtype = 'float32' | 'float16' | 'int32' | 'int64';

/**
 * A value of the recorded graph: its ONNX name, its logical shape (images [B, C, H, W], which is also
 * the ONNX layout: the recorder keeps NCHW) and its element type.
 */
export interface Sym {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: SymDtype;
}

export function isFloat(dtype: SymDtype): boolean {
  return dtype === 'float32' || dtype === 'float16';
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
