/** Plain-text tables for terminal output: columns padded to their widest cell, two spaces apart. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: { readonly rightAligned?: readonly number[] } = {},
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = new Set(options.rightAligned ?? []);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
