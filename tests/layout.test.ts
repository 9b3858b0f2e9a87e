/**
 * Two rules of the tree's layout:
 * - Nothing outside tests/ imports from tests/: the program, the tools (bin/, bench/) and
 *   the toolchain driver must work from a tree without its tests, and a test that needs
 *   the tests' shared helpers (fixtures, stand-ins, the mock runner) lives under tests/.
 *   The benches may use tests/netns/direct.ts, the netns script runner.
 * - Nothing imports the executing harness (harness/): it is retired; the real engine
 *   (toolchain/) runs the program, and mock-graph tests use tests/mocks/.
 */
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..");
const TESTS = path.join(REPO, "tests");
const HARNESS = path.join(REPO, "harness");
/** Not the project's sources: dependencies, build and cache output, git's own folder. */
const SKIP = new Set(["node_modules", ".cache", ".git", "bin-js"]);

/** Every .ts source under `dir`, less the folders in `except`. */
function sources(dir: string, except: string[], out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name) && !except.includes(full)) sources(full, except, out);
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

/** `file imports spec` for every import of a file in `files` that resolves into `folder`. */
function importsInto(files: string[], folder: string): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const spec of relativeImports(file)) {
      const target = path.resolve(path.dirname(file), spec);
      if (target === folder || target.startsWith(folder + path.sep)) found.push(`${path.relative(REPO, file)} imports ${spec}`);
    }
  }
  return found;
}

describe("layout", () => {
  it("no file outside tests/ imports from tests/", () => {
    // The one exception: the benches (a dev tool, never shipped) drive labs with the
    // tests' script runner rather than keeping a second one.
    const benchRunner = (found: string) => /^bench\/[^/]+\.bench\.ts imports \.\.\/tests\/netns\/direct$/.test(found);
    expect(importsInto(sources(REPO, [TESTS]), TESTS).filter((found) => !benchRunner(found))).toEqual([]);
  });

  it("no file imports the retired executing harness (harness/)", () => {
    expect(importsInto(sources(REPO, [HARNESS]), HARNESS)).toEqual([]);
  });

  it("finds imports the way the checks above read them", () => {
    // Guards the checks themselves: a regex that matched nothing would pass every tree.
    expect(relativeImports(path.join(REPO, "bin", "e2e.ts"))).toEqual(expect.arrayContaining(["../toolchain", "../toolchain/stack", "../leftovers/lab"]));
    expect(relativeImports(path.join(REPO, "tests", "program.test.ts"))).toEqual(["./mocks/runner"]);
    expect(importsInto([path.join(REPO, "tests", "program.test.ts")], TESTS)).toEqual(["tests/program.test.ts imports ./mocks/runner"]);
  });
});
