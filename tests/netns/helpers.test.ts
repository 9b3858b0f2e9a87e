/** The unit tests of the netns lab's Python helpers (tests/netns/test_helpers.py): no namespaces, no root. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { NETNS_ASSETS } from "../../components/netns/names";

describe("the netns Python helpers", () => {
  it("pass their unit tests and leave no bytecode behind", () => {
    const r = spawnSync("python3", ["-B", "-m", "unittest", "discover", "-s", __dirname, "-p", "test_*.py"], { encoding: "utf8", cwd: __dirname });
    expect({ status: r.status, out: r.stderr.split("\n").slice(-4).join("\n") }).toMatchObject({ status: 0 });
    expect(r.stderr).toMatch(/Ran \d+ tests/);
    for (const dir of [NETNS_ASSETS, __dirname]) expect(fs.existsSync(path.join(dir, "__pycache__"))).toBe(false);
  });
});
