export { NginxTarget, addressOf } from './nginx-target.js';
export type { NginxTargetOptions } from './nginx-target.js';
