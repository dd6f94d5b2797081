import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { RegistryClient } from '../adapters/registry.js';
import { pullEndpoint } from '../adapters/registry-access.js';
import { findRegistryImage } from '../adapters/registry-image.js';
import { loadPlanFile } from '../plans/load.js';
import { resolveImage, type ImageRef } from '../model/image-ref.js';
import { planName as planNameOf, reservedPlanName } from '../model/names.js';
import { checkPlanCapacity, checkPlanNodes, formatPlanError, type Plan, type PlanError, type PlanSource } from '../model/plan.js';
import { planError, sortErrors } from '../model/plan/types.js';

/** Several plan errors at once: one line each, exit status 2. */
export class PlanInvalid extends UserError {
  constructor(readonly errors: PlanError[]) {
    super(errors.map(formatPlanError).join('\n'));
  }
}

export interface CheckedPlan {
  file: string;
  name: string;
  plan: Plan;
  hash: string;
  source: PlanSource;
}

export async function checkedPlan(file: string, nodeNames: readonly string[] | null): Promise<CheckedPlan> {
  const reserved = reservedPlanName(planNameOf(file));
  if (reserved) throw new UserError(`${file}: ${reserved}`);
  const parsed = await loadPlanFile(file);
  if (!parsed.plan) throw new PlanInvalid(parsed.errors);
  if (nodeNames) {
    const errors = [...checkPlanNodes(parsed.plan, parsed.source, nodeNames), ...checkPlanCapacity(parsed.plan, parsed.source, nodeNames)];
    if (errors.length) throw new PlanInvalid(errors);
  }
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
  return { file, name: planNameOf(file), plan: parsed.plan, hash, source: parsed.source };
}

export interface ResolvedImage {
  ref: ImageRef & { digest: string };
  digest: string;
}

/**
 * Every app's image must be in the registry: resolves each to its digest, or fails with every
 * missing image named at its place in the plan.
 */
export async function resolveImages(
  config: Config, plan: Plan, source: PlanSource, pins: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, ResolvedImage>> {
  const registry = new RegistryClient(config.registry, pullEndpoint(config), config.timeouts?.registryMs);
  const resolved = new Map<string, ResolvedImage>();
  const errors: PlanError[] = [];
  await Promise.all(
    [...new Set(plan.apps.map((a) => a.image))].map(async (image) => {
      try {
        const ref = resolveImage(image, config.registry);
        const found = await findRegistryImage(registry, pins.has(image) ? { ...ref, digest: pins.get(image)! } : ref);
        resolved.set(image, { ref: { ...found.ref, digest: found.digest }, digest: found.digest });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        for (const app of plan.apps.filter((a) => a.image === image)) {
          errors.push(planError(source, ['apps', app.name, 'image'], err.message));
        }
      }
    }),
  );
  if (errors.length) throw new PlanInvalid(sortErrors(errors));
  return resolved;
}
