// Moved: the old name clashed with adapters/docker/progress.ts. Kept until its importers switch.
export * from './progress-events.js';
