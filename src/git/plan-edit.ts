import { isMap, isScalar, parseDocument } from 'yaml';
import { UserError } from '../errors.js';
import { isLegacyPlan, parsePlan, type AppSpec } from '../model/plan.js';

/** The app as the plan says it (for checks before a push is accepted for it). */
export function planApp(text: string, file: string, app: string): AppSpec {
  if (isLegacyPlan(text, file)) throw new UserError(`${file}: a legacy .plan names no image; git push deploys need a YAML (or JSON) plan`);
  const parsed = parsePlan(text, file);
  if (!parsed.plan) throw new UserError(`${file}: the plan has errors; check it with cloudmatrix plan check ${file}`);
  const spec = parsed.plan.apps.find((a) => a.name === app);
  if (!spec) throw new UserError(`${file}: app "${app}" is not in the plan (apps: ${parsed.plan.apps.map((a) => a.name).join(', ') || 'none'})`);
  return spec;
}

/**
 * The plan text with the app's image replaced. The yaml Document finds the image's scalar and
 * only its characters are replaced, so comments, spacing and the rest of the file stay byte for
 * byte; without an image key the Document adds one. The result is parsed again before use.
 */
export function setAppImage(text: string, file: string, app: string, image: string): string {
  planApp(text, file, app);
  const doc = parseDocument(text);
  if (!isMap(doc.getIn(['apps', app]))) throw new UserError(`${file}: apps.${app} is not a mapping`);
  const node = doc.getIn(['apps', app, 'image'], true);
  let out: string;
  if (isScalar(node) && node.range) {
    const plain = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(image) && node.type === 'PLAIN';
    out = text.slice(0, node.range[0]) + (plain ? image : JSON.stringify(image)) + text.slice(node.range[1]);
  } else {
    doc.setIn(['apps', app, 'image'], image);
    out = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  }
  if (planApp(out, file, app).image !== image) throw new Error(`${file}: apps.${app}.image did not take ${image}`);
  return out;
}
