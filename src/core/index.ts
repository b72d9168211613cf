export * from './pipeline.js';
export * from './model.js';
export * from './events.js';
export * from './inputs.js';
export * from './effects.js';
export * from './errors.js';
