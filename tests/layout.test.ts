/**
 * The tree's layout (rules in tests/layout.ts): what ships is what an entry point reaches,
 * and it never imports tests or dev tools. Also: nothing imports the retired executing
 * harness (harness/); the real engine (toolchain/) runs the program, and mock-graph tests
 * use tests/mocks/.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { entryPoints, importSpecifiers, readLayout, resolveImport, sources } from "./layout";

const REPO = path.resolve(__dirname, "..");

/** A tree of files: path → text. */
function plant(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "layout-"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe("layout of this tree", () => {
  const layout = readLayout(REPO);

  it("every product module is reached by imports from an entry point", () => {
    expect(layout.unreachable).toEqual([]);
  });

  it("product code never imports tests/, bench/ or a test file", () => {
    expect(layout.forbidden).toEqual([]);
  });

  it("no file imports the retired executing harness (harness/)", () => {
    const harness = sources(REPO).flatMap((f) =>
      importSpecifiers(fs.readFileSync(path.join(REPO, f), "utf8"))
        .filter((s) => s.startsWith(".") && path.posix.join(path.posix.dirname(f), s).split("/")[0] === "harness")
        .map((s) => `${f} imports ${s}`),
    );
    expect(harness).toEqual([]);
  });

  it("finds this tree's entry points and imports (so the checks above cannot pass on nothing)", () => {
    const entries = entryPoints(REPO, sources(REPO));
    expect(entries).toEqual(expect.arrayContaining(["index.ts", "bin/lab.ts", "bin/verify.ts", "bin/report.ts", "provider/main.ts"]));
    expect(entries.some((e) => e.startsWith("bench/") || e.startsWith("tests/"))).toBe(false);
    // Reached through a lazy require (components/calicoIpipLab/index.ts loads a backend only when chosen) and type-only imports.
    expect(layout.reached).toEqual(expect.arrayContaining(["components/kind/index.ts", "components/netns/index.ts", "model/spec.ts", "verdicts/stackOutputs.ts"]));
    expect(layout.reached.length).toBeGreaterThan(50);
  });
});

describe("the layout checker, on a planted tree", () => {
  let root = "";
  beforeAll(() => {
    root = plant({
      "package.json": JSON.stringify({ main: "index.ts", scripts: { tool: "ts-node --transpile-only tools/run.ts", bench: "ts-node bench/index.ts" } }),
      // JSON with comments, as tsconfig files are.
      "tsconfig.extra.json": '{\n  // compiled apart\n  "files": ["worker/main.ts"]\n}\n',
      "index.ts": 'import { a } from "./lib/a";\nexport * from "./lib/types";\nexport const x = a;\n',
      "lib/a.ts": '/** import { z } from "./inComment" */\nexport const a = async () => (await import("./lazy")).lazy + (require("./required") as { r: number }).r;\nexport const s = "import \\"./inString\\"";\n',
      "lib/types.ts": 'import type { T } from "./onlyTypes";\nexport type U = T;\n',
      "lib/onlyTypes.ts": "export type T = number;\n",
      "lib/lazy.ts": "export const lazy = 1;\n",
      "lib/required.ts": "export const r = 1;\n",
      "lib/inComment.ts": "export const z = 1;\n",
      "lib/inString.ts": "export const q = 1;\n",
      "lib/viaFolder/index.ts": "export const f = 1;\n",
      "lib/orphan.ts": 'import { h } from "../tests/helper";\nexport const o = h;\n',
      "lib/a.test.ts": 'import { h } from "../tests/helper";\nimport { a } from "./a";\nexport const t = [h, a];\n',
      "bin/cli.ts": 'import { f } from "../lib/viaFolder";\nimport { b } from "../bench/tool";\nexport const c = [f, b];\n',
      "tools/run.ts": "export const run = 1;\n",
      "worker/main.ts": 'import { t } from "../lib/a.test";\nexport const w = t;\n',
      "bench/index.ts": 'import { h } from "../tests/helper";\nimport { u } from "../lib/usedByBenchOnly";\nexport const b = [h, u];\n',
      "bench/tool.ts": "export const b = 1;\n",
      "lib/usedByBenchOnly.ts": "export const u = 1;\n",
      "tests/helper.ts": 'import { o } from "../lib/onlyTests";\nexport const h = o;\n',
      "lib/onlyTests.ts": "export const o = 1;\n",
      "node_modules/pkg/index.ts": "export const n = 1;\n",
    });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("entry points: index.ts, bin/, what package.json and tsconfig*.json name, never bench/ or tests/", () => {
    expect(entryPoints(root, sources(root))).toEqual(["bin/cli.ts", "index.ts", "tools/run.ts", "worker/main.ts"]);
  });

  it("flags what no entry reaches (orphans, modules only tests or the bench use), product imports of tests, bench or a test file, and a test beside its module importing tests/", () => {
    expect(readLayout(root)).toEqual({
      reached: ["bin/cli.ts", "index.ts", "lib/a.ts", "lib/lazy.ts", "lib/onlyTypes.ts", "lib/required.ts", "lib/types.ts", "lib/viaFolder/index.ts", "tools/run.ts", "worker/main.ts"],
      unreachable: ["lib/inComment.ts", "lib/inString.ts", "lib/onlyTests.ts", "lib/orphan.ts", "lib/usedByBenchOnly.ts"],
      forbidden: ["bin/cli.ts imports ../bench/tool", "lib/a.test.ts imports ../tests/helper", "lib/orphan.ts imports ../tests/helper", "worker/main.ts imports ../lib/a.test"],
    });
  });

  it("resolves a specifier to a file, a .ts file or a folder's index.ts, and packages to nothing", () => {
    const files = new Set(sources(root));
    expect(resolveImport(files, "bin/cli.ts", "../lib/viaFolder")).toBe("lib/viaFolder/index.ts");
    expect(resolveImport(files, "index.ts", "./lib/a")).toBe("lib/a.ts");
    expect(resolveImport(files, "index.ts", "./lib/a.ts")).toBe("lib/a.ts");
    expect(resolveImport(files, "index.ts", "typescript")).toBeNull();
    expect(resolveImport(files, "index.ts", "./missing")).toBeNull();
  });
});
