export { LocalPlatform } from './local-platform.js';
export type { LocalPlatformOptions } from './local-platform.js';
