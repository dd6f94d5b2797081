// Kept until src/deploy/preflight.ts imports it from src/plans/.
export { loadPlanFile } from '../plans/load.js';
