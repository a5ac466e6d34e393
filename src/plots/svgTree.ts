/**
 * A plot is computed once as a tree of SVG elements (tag, attributes, children or text) and then
 * rendered twice: to a string here (downloads, the runner's files) and as Svelte elements on the
 * page (ui/plots/SvgTree.svelte). Both renderers only walk the tree, so they cannot draw different
 * plots, and the page never parses markup: a string from an opened file (a task name, a swept
 * value) is a text node or an attribute value there, and is escaped here.
 */
export interface SvgNode {
  tag: string;
  attrs: Record<string, string | number>;
  children?: SvgNode[];
  /** text content (the node has no children then) */
  text?: string;
}

/** An element; children given as strings become the element's text. */
export function el(tag: string, attrs: Record<string, string | number | undefined> = {}, children: SvgNode[] | string = []): SvgNode {
  const clean: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = typeof v === 'number' ? round(v) : v;
  return typeof children === 'string' ? { tag, attrs: clean, text: children } : { tag, attrs: clean, children };
}

/** Coordinates to 0.01 px: shorter files, and no 1e-15 noise in tests. */
function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * Characters XML 1.0 forbids (C0 controls other than tab/newline/return, lone surrogates, U+FFFE/F):
 * an XML parser rejects the whole file over one of them, so they become U+FFFD.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text or an attribute value made safe for XML: the five special characters as entities. */
function escapeXml(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Attribute names come from this module's own code, never from data; checked anyway. */
const NAME = /^[A-Za-z_][\w.:-]*$/;

/** The tree as an SVG/XML string (the root gets the SVG namespace if it is an <svg>). */
export function toSvgString(node: SvgNode): string {
  const attrs = node.tag === 'svg' && !('xmlns' in node.attrs) ? { xmlns: 'http://www.w3.org/2000/svg', ...node.attrs } : node.attrs;
  return serialise({ ...node, attrs }, '');
}

function serialise(node: SvgNode, indent: string): string {
  if (!NAME.test(node.tag)) throw new Error(`invalid SVG tag "${node.tag}"`);
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => {
      if (!NAME.test(k)) throw new Error(`invalid SVG attribute "${k}"`);
      return ` ${k}="${escapeXml(String(v))}"`;
    })
    .join('');
  const open = `${indent}<${node.tag}${attrs}`;
  if (node.text !== undefined) return `${open}>${escapeXml(node.text)}</${node.tag}>`;
  if (!node.children?.length) return `${open}/>`;
  const inner = node.children.map((c) => serialise(c, `${indent}  `)).join('\n');
  return `${open}>\n${inner}\n${indent}</${node.tag}>`;
}
