export { parseVaeConfig, type VaeConfig } from './config';
export { createVaeDecoder, createVaeEncoder } from './components';
export { LOGVAR_MAX, LOGVAR_MIN } from './posterior';
