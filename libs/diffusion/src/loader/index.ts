export {
  readModelIndex,
  readComponentConfig,
  componentConfigPath,
  PIPELINE_COMPONENTS,
  SCHEDULER_CLASSES,
  SUPPORTED_COMPONENT_CLASSES,
  IGNORED_COMPONENTS,
  type ModelIndex,
  type ComponentRef,
  type PipelineComponent,
  type SchedulerClassName,
} from './model-index';
export { loadWeights, type LoadWeightsOptions } from './load-weights';
export { findWeightFiles, type WeightFiles, type WeightVariant } from './weight-files';
export { WeightMismatchError, type ShapeMismatch } from './match-params';
export type { JsonObject } from './read-json';
