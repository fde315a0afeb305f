import type { Component } from '../../models/component';
import type { WeightMap } from '../ops';
import { OnnxGraphBuilder } from './onnx-graph-builder';
import type { RecordOptions } from './record-options';
import { formatShape } from './sym';

export interface RecordedInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
}

/** Runs the component's forward over the recorder: the graph for these input shapes. */
export function recordComponent(component: Component, weights: WeightMap, inputs: readonly RecordedInput[], options: Omit<RecordOptions, 'owner'>): OnnxGraphBuilder {
  const builder = new OnnxGraphBuilder(weights, { ...options, owner: component.name });
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const syms: Record<string, ReturnType<OnnxGraphBuilder['input']>> = {};
  for (const name of component.inputNames) {
    const input = byName.get(name);
    if (!input) throw new Error(`${component.name}: input ${name} is missing (inputs: ${component.inputNames.join(', ')})`);
    syms[name] = builder.input(name, input.shape, input.dtype);
  }
  for (const name of byName.keys()) {
    if (!component.inputNames.includes(name)) throw new Error(`${component.name}: unknown input ${name} (inputs: ${component.inputNames.join(', ')})`);
  }
  const outputs = component.forward(builder, syms);
  for (const name of component.outputNames) {
    const out = outputs[name];
    if (!out) throw new Error(`${component.name}: forward returned no output ${name} (got ${Object.keys(outputs).join(', ') || 'none'})`);
    builder.output(name, out);
  }
  return builder;
}

/** A key for one set of input shapes and types. */
export function inputSignature(inputs: readonly RecordedInput[]): string {
  return inputs.map((i) => `${i.name}:${i.dtype}${formatShape(i.shape)}`).join(';');
}
