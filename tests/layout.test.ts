/**
 * Nothing outside tests/ imports from tests/: the tools (bin/, bench/) and the harness
 * they run must work from a tree without its tests, and a test that needs the tests'
 * shared helpers (fixtures, stand-ins) lives under tests/ itself.
 */
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..");
const TESTS = path.join(REPO, "tests");
/** Not the project's sources: dependencies, build and cache output, git's own folder. */
const SKIP = new Set(["node_modules", ".cache", ".git", "bin-js"]);

function sourcesOutsideTests(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name) && full !== TESTS) sourcesOutsideTests(full, out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      out.push(full);
    }
  }
  return out;
}

/** Relative module specifiers of a file's imports, requires and re-exports. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["'](\.{1,2}\/[^"']*)["']/g)) specs.push(m[1]);
  return specs;
}

describe("layout", () => {
  it("no file outside tests/ imports from tests/", () => {
    const offenders: string[] = [];
    for (const file of sourcesOutsideTests(REPO)) {
      for (const spec of relativeImports(file)) {
        const target = path.resolve(path.dirname(file), spec);
        if (target === TESTS || target.startsWith(TESTS + path.sep)) offenders.push(`${path.relative(REPO, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("finds imports the way the check above reads them", () => {
    // Guards the check itself: a regex that matched nothing would pass every tree.
    const e2e = relativeImports(path.join(REPO, "bin", "e2e.ts"));
    expect(e2e).toEqual(expect.arrayContaining(["../harness", "../leftovers/lab"]));
  });
});
