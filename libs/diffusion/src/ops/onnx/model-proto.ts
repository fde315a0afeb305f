import { closeSync, openSync, writeSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { float32ToFloat16Bits } from '../../weights/float-conversion';
import { sizeOf } from '../../tensor';
import { MS_DOMAIN, type Attribute, type Initializer, type OnnxGraph, type ValueInfo } from './onnx-graph';
import { formatShape, type SymDtype } from './sym';

export const OPSET = 17;
/** IR version 8 goes with opset 17. */
const IR_VERSION = 8;
/** Protobuf messages cannot exceed 2 GiB; above this the weights must live in an external data file. */
export const INLINE_LIMIT_BYTES = 1.8e9;
/** External tensors start on this boundary so ONNX Runtime can map them instead of copying. */
const EXTERNAL_ALIGNMENT = 65536;
/**
 * Smaller tensors stay inside the model: ONNX Runtime's shape inference reads shape and index
 * constants at load and cannot read them from external data.
 */
const EXTERNAL_MIN_BYTES = 4096;

const DATA_TYPE: Record<SymDtype, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

const BYTES: Record<SymDtype, number> = { float32: 4, float16: 2, int32: 4, int64: 8 };

export interface ExternalDataTarget {
  /** Where to write the weights. */
  readonly path: string;
  /** How the model refers to that file: a path relative to the model file's folder. */
  readonly location: string;
}

export interface SerializeOptions {
  readonly graphName: string;
  /** Write every initializer to this file instead of inside the model (required over ~2 GB). */
  readonly externalData?: ExternalDataTarget;
}

export function initializerBytes(init: Initializer): number {
  return sizeOf(init.dims) * BYTES[init.dtype];
}

/** The total size of the initializers the graph reads. */
export function weightBytes(graph: OnnxGraph): number {
  return graph.usedInitializers().reduce((sum, init) => sum + initializerBytes(init), 0);
}

/** Encodes the graph as an ONNX ModelProto (and, if asked, writes its weights to an external data file). */
export function serializeModel(graph: OnnxGraph, options: SerializeOptions): Uint8Array {
  const used = graph.usedInitializers();
  const total = used.reduce((sum, init) => sum + initializerBytes(init), 0);
  if (!options.externalData && total > INLINE_LIMIT_BYTES) {
    throw new Error(`${options.graphName}: ${(total / 1e9).toFixed(2)} GB of weights exceed what one protobuf can hold (${INLINE_LIMIT_BYTES / 1e9} GB): pass externalData`);
  }
  const external = options.externalData;
  const initializers = external
    ? writeExternal(used.filter(isExternal), external).concat(used.filter((i) => !isExternal(i)).map(inlineTensor))
    : used.map(inlineTensor);
  const domains = new Set(graph.nodes.map((n) => n.domain));
  const opsetImport: onnx.IOperatorSetIdProto[] = [{ domain: '', version: OPSET }];
  if (domains.has(MS_DOMAIN)) opsetImport.push({ domain: MS_DOMAIN, version: 1 });
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'sdfarm',
    opsetImport,
    graph: {
      name: options.graphName,
      node: graph.nodes.map((n, i) => ({
        name: `${n.opType}_n${i}`,
        opType: n.opType,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: n.attributes.map(encodeAttribute),
      })),
      initializer: initializers,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

export function tensorBytes(init: Initializer): Uint8Array {
  const values = init.values();
  const expected = sizeOf(init.dims);
  if (values.length !== expected) {
    throw new Error(`initializer ${init.name}: ${values.length} values for dims ${formatShape(init.dims)} (${expected} expected)`);
  }
  switch (init.dtype) {
    case 'float16': {
      if (!(values instanceof Float32Array)) throw new Error(`initializer ${init.name}: float16 data must come as float32 values`);
      const bits = new Uint16Array(values.length);
      float32ToFloat16Bits(values, bits);
      return new Uint8Array(bits.buffer);
    }
    case 'float32':
      if (!(values instanceof Float32Array)) throw new Error(`initializer ${init.name}: float32 data must be a Float32Array`);
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'int32':
      if (!(values instanceof Int32Array)) throw new Error(`initializer ${init.name}: int32 data must be an Int32Array`);
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'int64':
      if (!(values instanceof BigInt64Array)) throw new Error(`initializer ${init.name}: int64 data must be a BigInt64Array`);
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  }
}

function isExternal(init: Initializer): boolean {
  return init.dtype !== 'int64' && initializerBytes(init) >= EXTERNAL_MIN_BYTES;
}

function inlineTensor(init: Initializer): onnx.ITensorProto {
  return { name: init.name, dims: [...init.dims], dataType: DATA_TYPE[init.dtype], rawData: tensorBytes(init) };
}

function writeExternal(used: readonly Initializer[], target: ExternalDataTarget): onnx.ITensorProto[] {
  const fd = openSync(target.path, 'w');
  try {
    let offset = 0;
    return used.map((init) => {
      const padding = (EXTERNAL_ALIGNMENT - (offset % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
      if (padding) writeSync(fd, new Uint8Array(padding), 0, padding, offset);
      offset += padding;
      const bytes = tensorBytes(init);
      writeSync(fd, bytes, 0, bytes.length, offset);
      const proto: onnx.ITensorProto = {
        name: init.name,
        dims: [...init.dims],
        dataType: DATA_TYPE[init.dtype],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: target.location },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(bytes.length) },
        ],
      };
      offset += bytes.length;
      return proto;
    });
  } finally {
    closeSync(fd);
  }
}

function valueInfo(info: ValueInfo): onnx.IValueInfoProto {
  return {
    name: info.name,
    type: { tensorType: { elemType: DATA_TYPE[info.dtype], shape: { dim: info.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function encodeAttribute(a: Attribute): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name: a.name, type: T.INT, i: a.value };
    case 'float':
      return { name: a.name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name: a.name, type: T.INTS, ints: [...a.value] };
    case 'floats':
      return { name: a.name, type: T.FLOATS, floats: [...a.value] };
    case 'string':
      return { name: a.name, type: T.STRING, s: Buffer.from(a.value, 'utf8') };
  }
}
