import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { pathString, type PathSegment, type PlanError, type PlanSource } from './types.js';

export interface YamlSource extends PlanSource {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** syntax errors and duplicate keys */
  errors: PlanError[];
}

function keyOf(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function start(node: unknown): number {
  return (node as Node | null)?.range?.[0] ?? 0;
}

/** Offset of the key (for a map entry) or item (in a list) at path, or of its nearest ancestor. */
function offsetOf(doc: Document.Parsed, path: readonly PathSegment[]): number {
  let node: unknown = doc.contents;
  let pos = start(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p.key) === String(seg));
      if (!pair) break;
      pos = start(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      pos = start(node);
    } else {
      break;
    }
  }
  return pos;
}

function duplicateKeys(source: YamlSource, node: unknown, path: PathSegment[]): void {
  if (isSeq(node)) node.items.forEach((item, i) => duplicateKeys(source, item, [...path, i]));
  if (!isMap(node)) return;
  const first = new Map<string, number>();
  const map = node as YAMLMap;
  for (const pair of [...map.items]) {
    const key = keyOf(pair.key);
    const at = start(pair.key);
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, at);
      duplicateKeys(source, pair.value, [...path, key]);
      continue;
    }
    // Keep the first, so that later errors point where the values came from.
    map.items.splice(map.items.indexOf(pair), 1);
    const what = path.length === 1 && path[0] === 'apps' ? `duplicate app name ${key}` : `duplicate key ${key}`;
    const { line, col } = source.lineCounter.linePos(at);
    const firstLine = source.lineCounter.linePos(seen).line;
    source.errors.push({ file: source.file, line, col, path: pathString([...path, key]), message: `${what} (first at line ${firstLine})` });
  }
}

/** Parses YAML (JSON is YAML too) keeping positions; reports syntax errors and duplicate keys. */
export function yamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const source: YamlSource = {
    file,
    doc,
    lineCounter,
    errors: [],
    locate(path: readonly PathSegment[]) {
      return lineCounter.linePos(offsetOf(doc, path));
    },
  };
  for (const e of doc.errors) {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    source.errors.push({ file, line, col, path: '', message: `YAML: ${e.message.split('\n')[0]}` });
  }
  if (doc.errors.length === 0) duplicateKeys(source, doc.contents, []);
  return source;
}
