/**
 * The layout rules tests/layout.test.ts enforces, as pure functions over a tree:
 * - every product module (a .ts outside tests/ and bench/, not a *.test.ts) is reached by
 *   imports from an entry point: index.ts, bin/*.ts, provider/main.ts, and the .ts files
 *   package.json (main, scripts) and tsconfig*.json (files) name. A module nothing ships
 *   reaches is a test or dev helper and belongs under tests/ (or bench/);
 * - product code never imports tests/, bench/ or a test file; a unit test beside its
 *   module never imports tests/ or bench/ either (one that needs the tests' helpers lives
 *   under tests/); bench/ may use tests/ helpers.
 * Imports are read by TypeScript's own scanner, so `import type`, re-exports, require()
 * and lazy `import("...")` count, and text in comments or strings does not.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/** Not the project's sources: dependencies, build and cache output, git's own folder. */
const SKIP = new Set(["node_modules", ".cache", ".git", "bin-js"]);

/** Folders whose modules are not product code. */
const DEV_FOLDERS = ["tests", "bench"];

/** Every .ts source under `root` (no declaration files), relative, with `/` separators. */
export function sources(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name)) sources(root, full, out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      out.push(path.relative(root, full).split(path.sep).join("/"));
    }
  }
  return out.sort();
}

export function isProduct(file: string): boolean {
  return !DEV_FOLDERS.includes(file.split("/")[0]) && !file.endsWith(".test.ts");
}

/** The module specifiers a source imports, re-exports, requires or imports lazily. */
export function importSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The repository file a relative specifier of `from` names, or null (a package, or not a .ts file). */
export function resolveImport(files: ReadonlySet<string>, from: string, spec: string): string | null {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (files.has(candidate)) return candidate;
  return null;
}

/** .ts paths named in package.json's main and scripts and in the tsconfig*.json files lists. */
export function namedEntries(root: string): string[] {
  const named: string[] = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { main?: string; scripts?: Record<string, string> };
  for (const text of [pkg.main ?? "", ...Object.values(pkg.scripts ?? {})]) named.push(...(text.match(/[\w./-]+\.ts\b/g) ?? []));
  for (const name of fs.readdirSync(root).filter((n) => /^tsconfig.*\.json$/.test(n))) {
    const config = ts.readConfigFile(path.join(root, name), (p) => fs.readFileSync(p, "utf8"));
    if (config.error) throw new Error(`${name}: ${ts.flattenDiagnosticMessageText(config.error.messageText, "\n")}`);
    named.push(...(((config.config as { files?: string[] }).files ?? []) as string[]));
  }
  return named.map((f) => path.posix.normalize(f));
}

/** The entry points of what ships: index.ts, bin/*.ts, provider/main.ts and the named ones, less dev tools. */
export function entryPoints(root: string, files: readonly string[]): string[] {
  const fixed = files.filter((f) => f === "index.ts" || f === "provider/main.ts" || /^bin\/[^/]+\.ts$/.test(f));
  const named = namedEntries(root).filter((f) => files.includes(f));
  return [...new Set([...fixed, ...named])].filter(isProduct).sort();
}

export interface Layout {
  /** Product modules the entry points reach (the entry points too). */
  reached: string[];
  /** Product modules no entry point reaches. */
  unreachable: string[];
  /** `file imports spec` for product code importing tests/, bench/ or a test file, and a test beside its module importing tests/ or bench/. */
  forbidden: string[];
}

export function readLayout(root: string): Layout {
  const files = sources(root);
  const known = new Set(files);
  const imports = new Map<string, { spec: string; target: string }[]>();
  for (const f of files) {
    const found = importSpecifiers(fs.readFileSync(path.join(root, f), "utf8")).flatMap((spec) => {
      const target = resolveImport(known, f, spec);
      return target ? [{ spec, target }] : [];
    });
    imports.set(f, found);
  }
  const inDevFolder = (f: string): boolean => DEV_FOLDERS.includes(f.split("/")[0]);
  const forbidden = files
    .filter((f) => !inDevFolder(f))
    .flatMap((f) =>
      (imports.get(f) ?? []).filter((i) => (isProduct(f) ? !isProduct(i.target) : inDevFolder(i.target))).map((i) => `${f} imports ${i.spec}`),
    );
  const reached = new Set<string>();
  const queue = entryPoints(root, files);
  for (let f = queue.pop(); f !== undefined; f = queue.pop()) {
    if (reached.has(f)) continue;
    reached.add(f);
    // Only what product code imports ships: a path through tests/ or bench/ reaches nothing.
    for (const i of imports.get(f) ?? []) if (isProduct(i.target)) queue.push(i.target);
  }
  return { reached: [...reached].sort(), unreachable: files.filter((f) => isProduct(f) && !reached.has(f)), forbidden };
}
