// Writes plans/plan.schema.json from the zod schema: `npx tsx scripts/gen-plan-schema.ts`.
import { writeFileSync } from 'node:fs';
import { planJsonSchema } from '../src/model/plan.js';

export const SCHEMA_FILE = new URL('../plans/plan.schema.json', import.meta.url);

export function planSchemaText(): string {
  return `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  writeFileSync(SCHEMA_FILE, planSchemaText());
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
}
