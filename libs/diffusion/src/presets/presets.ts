import type { JsonObject } from '../loader/read-json';
import sd15Index from './sd15/model_index.json';
import sd15Scheduler from './sd15/scheduler/scheduler_config.json';
import sd15Text from './sd15/text_encoder/config.json';
import sd15SpecialTokens from './sd15/tokenizer/special_tokens_map.json';
import sd15Tokenizer from './sd15/tokenizer/tokenizer_config.json';
import sd15Unet from './sd15/unet/config.json';
import sd15Vae from './sd15/vae/config.json';
import sd21Index from './sd21/model_index.json';
import sd21Scheduler from './sd21/scheduler/scheduler_config.json';
import sd21Text from './sd21/text_encoder/config.json';
import sd21SpecialTokens from './sd21/tokenizer/special_tokens_map.json';
import sd21Tokenizer from './sd21/tokenizer/tokenizer_config.json';
import sd21Unet from './sd21/unet/config.json';
import sd21Vae from './sd21/vae/config.json';
import tinyIndex from './tiny/model_index.json';
import tinyScheduler from './tiny/scheduler/scheduler_config.json';
import tinyText from './tiny/text_encoder/config.json';
import tinySpecialTokens from './tiny/tokenizer/special_tokens_map.json';
import tinyTokenizer from './tiny/tokenizer/tokenizer_config.json';
import tinyUnet from './tiny/unet/config.json';
import tinyVae from './tiny/vae/config.json';

export const PRESET_NAMES = ['sd15', 'sd21', 'tiny'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The components whose configuration a preset holds; `tokenizer` is its `tokenizer_config.json`. */
export type ConfiguredComponent = 'text_encoder' | 'tokenizer' | 'unet' | 'vae' | 'scheduler';

/**
 * A model's configuration files as the public checkpoints ship them, so a folder of random weights
 * has the real architecture. The safety checker and feature extractor are set to null in
 * `model_index.json` because a random folder does not contain them.
 */
export interface ModelPreset {
  readonly name: PresetName;
  readonly description: string;
  readonly modelIndex: JsonObject;
  readonly configs: Readonly<Record<ConfiguredComponent, JsonObject>>;
  readonly specialTokensMap: JsonObject;
}

export const PRESETS: Readonly<Record<PresetName, ModelPreset>> = {
  sd15: {
    name: 'sd15',
    description: 'runwayml/stable-diffusion-v1-5: UNet 320/640/1280/1280, CLIP ViT-L/14 text encoder, PNDM',
    modelIndex: sd15Index,
    configs: { text_encoder: sd15Text, tokenizer: sd15Tokenizer, unet: sd15Unet, vae: sd15Vae, scheduler: sd15Scheduler },
    specialTokensMap: sd15SpecialTokens,
  },
  sd21: {
    name: 'sd21',
    description: 'stabilityai/stable-diffusion-2-1 (768-v): linear projections, OpenCLIP ViT-H text encoder, DDIM v-prediction',
    modelIndex: sd21Index,
    configs: { text_encoder: sd21Text, tokenizer: sd21Tokenizer, unet: sd21Unet, vae: sd21Vae, scheduler: sd21Scheduler },
    specialTokensMap: sd21SpecialTokens,
  },
  tiny: {
    name: 'tiny',
    description: 'the configuration of the bundled models/tiny-sd15 (SD 1.x family at toy size)',
    modelIndex: tinyIndex,
    configs: { text_encoder: tinyText, tokenizer: tinyTokenizer, unet: tinyUnet, vae: tinyVae, scheduler: tinyScheduler },
    specialTokensMap: tinySpecialTokens,
  },
};

export function getPreset(name: string): ModelPreset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown model preset ${JSON.stringify(name)} (presets: ${PRESET_NAMES.join(', ')})`);
  }
  return PRESETS[name as PresetName];
}
