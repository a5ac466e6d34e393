/**
 * Where shader text is put together. Every WGSL source is a `.wgsl` file in shaders/<op>/ (the
 * folder of its op's kernels/<op>/), imported with Vite's `?raw` (a string in the app, the worker, the tests and the
 * bench alike); only code unrolled per shape (matmul register blocks) is generated in TypeScript.
 * A file may leave holes, `{{NAME}}`, for what differs between the variants of one program (a mask
 * test, a loop header, an unrolled row): `fill` puts that text in.
 *
 * A file that is a flat kernel's body (statements, run by shared/flatProgram.ts's main) or a piece
 * for a hole is written at column 0 and starts with a header: the `//` lines at its top say what it
 * computes, its bindings and its holes; `withoutHeader` drops them (and the blank lines after) so the
 * shader text is the code alone.
 */

/** `source` without the `//` lines at its top and the blank lines after them. */
export function withoutHeader(source: string): string {
  return source.replace(/^(?:\/\/.*\n)+\n*/, '');
}

/**
 * `source` with every `{{NAME}}` replaced by `holes[NAME]` (one trailing newline of a value dropped).
 * The lines after the first of a multi-line value take the indentation of the hole's line, so a piece
 * is written at column 0 wherever it goes. A hole without a value, or a value without a hole, throws.
 */
export function fill(source: string, holes: Record<string, string | number>): string {
  const used = new Set<string>();
  const out = source.replace(/^([ \t]*)(.*)$/gm, (line: string, indent: string) =>
    line.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      if (!(name in holes)) throw new Error(`WGSL hole {{${name}}} has no value`);
      used.add(name);
      return String(holes[name]).replace(/\n$/, '').replace(/\n/g, `\n${indent}`);
    }),
  );
  for (const name of Object.keys(holes)) if (!used.has(name)) throw new Error(`no WGSL hole {{${name}}} for this value`);
  return out;
}
