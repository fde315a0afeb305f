export { ClipTextEncoder, clipTextInputs, createClipTextEncoder } from './clip-text-encoder';
export { parseClipTextConfig, type ClipActivation, type ClipTextConfig } from './config';
