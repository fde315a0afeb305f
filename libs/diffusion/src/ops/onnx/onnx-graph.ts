import { formatShape, type SymDtype } from './sym';

export type Attribute =
  | { readonly name: string; readonly kind: 'int'; readonly value: number }
  | { readonly name: string; readonly kind: 'float'; readonly value: number }
  | { readonly name: string; readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'string'; readonly value: string };

export const attr = {
  int: (name: string, value: number): Attribute => ({ name, kind: 'int', value }),
  float: (name: string, value: number): Attribute => ({ name, kind: 'float', value }),
  ints: (name: string, value: readonly number[]): Attribute => ({ name, kind: 'ints', value }),
  floats: (name: string, value: readonly number[]): Attribute => ({ name, kind: 'floats', value }),
  string: (name: string, value: string): Attribute => ({ name, kind: 'string', value }),
};

export const MS_DOMAIN = 'com.microsoft';

export interface GraphNode {
  opType: string;
  /** '' for the default ONNX domain. */
  domain: string;
  inputs: string[];
  /** '' marks an optional output that is not produced. */
  outputs: string[];
  attributes: Attribute[];
}

export type InitializerValues = Float32Array | Int32Array | BigInt64Array;

/**
 * A weight or constant. Its values are produced on demand (in ONNX layout, as float32 for float
 * types), so that a multi-gigabyte model is converted and written one tensor at a time.
 */
export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dtype: SymDtype;
  readonly values: () => InitializerValues;
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: SymDtype;
  readonly shape: readonly number[];
}

/** An ONNX graph under construction: nodes in execution order, initializers, inputs and outputs. */
export class OnnxGraph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly initializers = new Map<string, Initializer>();
  private readonly producers = new Map<string, GraphNode>();
  private readonly consumerCounts = new Map<string, number>();
  /** Values a fusion stopped producing, with the node that computes them, re-emitted if used again. */
  private readonly retired = new Map<string, GraphNode>();
  private readonly names = new Set<string>();
  private counter = 0;

  /** A new value name. */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  addInitializer(init: Initializer): string {
    const existing = this.initializers.get(init.name);
    if (existing) {
      if (existing.dtype !== init.dtype || formatShape(existing.dims) !== formatShape(init.dims)) {
        throw new Error(`initializer ${init.name} declared twice: ${existing.dtype} ${formatShape(existing.dims)} and ${init.dtype} ${formatShape(init.dims)}`);
      }
      return init.name;
    }
    this.claim(init.name);
    this.initializers.set(init.name, init);
    return init.name;
  }

  initializer(name: string): Initializer | undefined {
    return this.initializers.get(name);
  }

  addInput(info: ValueInfo): void {
    this.claim(info.name);
    this.inputs.push(info);
  }

  addOutput(info: ValueInfo): void {
    this.use(info.name);
    this.outputs.push(info);
  }

  /** Appends a node; `outputs` is a count of fresh names (named after the op) or explicit names. */
  addNode(opType: string, inputs: readonly string[], outputs: number | readonly string[] = 1, attributes: readonly Attribute[] = [], domain = ''): string[] {
    for (const input of inputs) this.use(input);
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : [...outputs];
    for (const name of outNames) if (name) this.names.add(name);
    const node: GraphNode = { opType, domain, inputs: [...inputs], outputs: outNames, attributes: [...attributes] };
    this.nodes.push(node);
    for (const name of outNames) if (name) this.producers.set(name, node);
    return outNames;
  }

  producer(name: string): GraphNode | undefined {
    return this.producers.get(name);
  }

  /** How many node inputs (and graph outputs) read the value so far. */
  consumers(name: string): number {
    return this.consumerCounts.get(name) ?? 0;
  }

  /**
   * Replaces a node where it stands (a fusion). Values the node produced and its replacement does not
   * are retired: a later use re-emits the original computation, so a fusion never breaks a reader.
   */
  rewrite(node: GraphNode, replacement: GraphNode): void {
    const original: GraphNode = { ...node, inputs: [...node.inputs], outputs: [...node.outputs], attributes: [...node.attributes] };
    for (const input of node.inputs) if (input) this.consumerCounts.set(input, this.consumers(input) - 1);
    for (const input of replacement.inputs) if (input) this.use(input);
    Object.assign(node, replacement);
    for (const name of replacement.outputs) {
      if (!name) continue;
      this.names.add(name);
      this.producers.set(name, node);
    }
    for (const name of original.outputs) {
      if (name && !replacement.outputs.includes(name)) {
        this.producers.delete(name);
        this.retired.set(name, original);
      }
    }
  }

  /** Drops a node nothing has read yet (a fusion absorbed it); its outputs are retired like rewrite's. */
  remove(node: GraphNode): void {
    const index = this.nodes.indexOf(node);
    if (index < 0) throw new Error(`graph node ${node.opType} → ${node.outputs.join(', ')} is not in the graph`);
    for (const output of node.outputs) {
      if (output && this.consumers(output) > 0) throw new Error(`graph value ${output} is already read; its node cannot be removed`);
    }
    this.nodes.splice(index, 1);
    for (const input of node.inputs) if (input) this.consumerCounts.set(input, this.consumers(input) - 1);
    for (const output of node.outputs) {
      if (!output) continue;
      this.producers.delete(output);
      this.retired.set(output, node);
    }
  }

  /** Initializers that some node or output reads, in first-use order. */
  usedInitializers(): Initializer[] {
    const used: Initializer[] = [];
    const seen = new Set<string>();
    const visit = (name: string): void => {
      const init = this.initializers.get(name);
      if (init && !seen.has(name)) {
        seen.add(name);
        used.push(init);
      }
    };
    for (const node of this.nodes) node.inputs.forEach(visit);
    for (const output of this.outputs) visit(output.name);
    return used;
  }

  private use(name: string): void {
    if (!name) return;
    const recipe = this.retired.get(name);
    if (recipe) {
      for (const out of recipe.outputs) this.retired.delete(out);
      const live = recipe.outputs.map((out) => (out && this.producers.has(out) ? '' : out));
      this.addNode(recipe.opType, recipe.inputs, live, recipe.attributes, recipe.domain);
    }
    if (!this.producers.has(name) && !this.initializers.has(name) && !this.inputs.some((i) => i.name === name)) {
      throw new Error(`graph value ${name} is read before anything produces it`);
    }
    this.consumerCounts.set(name, this.consumers(name) + 1);
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`graph value name ${name} is already taken`);
    this.names.add(name);
  }
}
