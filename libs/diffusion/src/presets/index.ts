export { PRESETS, PRESET_NAMES, getPreset, type ModelPreset, type PresetName, type ConfiguredComponent } from './presets';
export {
  createRandomModel,
  type CreateRandomModelOptions,
  type CreatedModel,
  type RandomTensorProgress,
  type WeightedComponent,
} from './create-random';
export { initRuleFor, randomTensor, type InitRule } from './random-init';
export { bundledTokenizerDir } from './bundled-tokenizer';
