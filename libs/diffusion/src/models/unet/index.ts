export { createUNet, UNET_INPUTS, UNET_OUTPUTS, type UNetComponent } from './unet';
export { parseUNetConfig, type UNetConfig, type DownBlockType, type UpBlockType } from './config';
export { timestepProjection, type TimestepProjectionConfig } from './time-embedding';
