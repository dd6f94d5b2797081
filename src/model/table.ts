/** Rows as aligned columns, two spaces apart; the last column is not padded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const width = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(width[c]!))).join('  ')).join('\n');
}

/** A table of `items` under `header`, one row each as `cells` gives it. */
export function tableOf<T>(header: readonly string[], items: readonly T[], cells: (item: T) => readonly string[]): string {
  return formatTable([header, ...items.map(cells)]);
}
