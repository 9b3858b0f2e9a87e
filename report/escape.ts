/**
 * Escaping for everything the report writes. Every string that comes from stack
 * outputs, a pcap path or a route line goes through one of these before it reaches
 * HTML, SVG or Markdown; nothing is ever inserted raw.
 */
import { pathToFileURL } from "url";
import * as path from "path";

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value for HTML and inline SVG (both quote styles are safe). */
export function escapeHtml(s: string): string {
  // Control characters other than tab/newline have no place in a document: show them.
  return s.replace(/[&<>"']/g, (c) => HTML[c]).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * A Markdown table cell or inline text: `&`, `<` and `>` become entities (GitHub renders
 * inline HTML), the characters that start emphasis, code, links, strike-through or a new
 * cell are backslash-escaped, and line breaks, which would end a table row, become spaces.
 * Brackets are escaped, so `(`…`)` can never complete a link and stay as they are.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[&<>]/g, (c) => HTML[c])
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/\r?\n|\r/g, " ");
}

/** Inline code in Markdown: a backtick fence longer than any run inside. */
export function markdownCode(s: string): string {
  const flat = s.replace(/\r?\n|\r/g, " ");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat === "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A file:// URL for `file`; relative paths are taken from `base` (default: cwd). */
export function fileUrl(file: string, base = process.cwd()): string {
  return pathToFileURL(path.resolve(base, file)).href;
}

/**
 * A relative URL from a page in `fromDir` to `file`, so a downloaded `reports/` +
 * `captures/` pair (CI artefacts) still links up; percent-encoded segment by segment.
 */
export function relativeFileHref(file: string, fromDir: string): string {
  const rel = path.relative(path.resolve(fromDir), path.resolve(file));
  if (path.isAbsolute(rel)) return fileUrl(file);
  return rel.split(path.sep).map(encodeURIComponent).join("/");
}
