/**
 * The mock runner (tests/mocks/runner.ts) on a tiny program (testdata/program): what it
 * records of each registration, the preview's unknowns, config read from
 * Pulumi.<stack>.yaml and handed over as the CLI hands it, a program's own error, and
 * runs in one file that do not see each other.
 */
import * as path from "path";
import { byName, COMMAND_TYPE, previewProgram, projectName, stackConfig, STACK_TYPE, UNKNOWN, urnName } from "./runner";

const PROGRAM = path.join(__dirname, "testdata", "program");
const config = stackConfig(PROGRAM, "dev");

describe("previewProgram", () => {
  it("records each registration with its type, name, parent, dependencies, inputs and order", async () => {
    const run = await previewProgram({ programDir: PROGRAM, stack: "dev", config: { ...config, token: "s3cret" }, secretKeys: ["token"] });
    expect(run.error).toBeNull();
    expect(run.registrations.map((r) => [r.order, r.type, r.name, r.custom])).toEqual([
      [0, STACK_TYPE, "mock-probe-dev", false],
      [1, "mock-probe:index:Box", "box", false],
      [2, COMMAND_TYPE, "box-a", true],
      [3, COMMAND_TYPE, "box-b", true],
    ]);
    const [stack, box, a, b] = run.registrations;
    expect(stack.parent).toBe("");
    expect(box.parent).toBe(stack.urn);
    expect(a.urn).toBe("urn:pulumi:dev::mock-probe::mock-probe:index:Box$command:local:Command::box-a");
    expect(urnName(a.parent)).toBe("box");
    expect(b.dependencies).toEqual([a.urn]);
    expect(a.inputs).toMatchObject({ create: "echo fast", environment: { SIZES: "1,2,3", CPU: "2" } });
    // Nothing ran: a's stdout is unknown where b reads it; the secret reaches b in plaintext.
    expect(b.inputs.stdin).toBe(UNKNOWN);
    expect(b.inputs.environment).toEqual({ TOKEN: "s3cret", EXTRA: "unset", CWD: PROGRAM });
    expect(byName(run.registrations, "box-b")).toBe(b);
  });

  it("reads Pulumi.<stack>.yaml as written: namespaced keys, values of any type", () => {
    expect(projectName(PROGRAM)).toBe("mock-probe");
    expect(config).toEqual({ "mock-probe:mode": "fast", "mock-probe:sizes": [1, 2, 3], "mock-probe:limits": { cpu: 2 } });
    expect(() => stackConfig(PROGRAM, "nope")).toThrow(/Pulumi\.nope\.yaml does not exist/);
  });

  it("reports the program's RunError by its message alone, with nothing registered but the stack", async () => {
    const run = await previewProgram({ programDir: PROGRAM, stack: "dev", config: { ...config, mode: "bad" } });
    expect(run.ok).toBe(false);
    expect(run.error).toBe('mode: "bad" is not valid; allowed values are fast, slow');
    expect(run.registrations.map((r) => r.type)).toEqual([STACK_TYPE]);
  });

  it("loads the program afresh for every run, with only that run's config, and gives the working directory back", async () => {
    const cwd = process.cwd();
    const first = await previewProgram({ programDir: PROGRAM, stack: "dev", config: { ...config, extra: "one" } });
    const second = await previewProgram({ programDir: PROGRAM, stack: "other", config });
    expect(process.cwd()).toBe(cwd);
    expect([first.error, second.error]).toEqual([null, null]);
    expect((byName(first.registrations, "box-b").inputs.environment as Record<string, string>).EXTRA).toBe("one");
    expect((byName(second.registrations, "box-b").inputs.environment as Record<string, string>).EXTRA).toBe("unset");
    expect(second.registrations.map((r) => r.urn.split("::")[0])).toEqual(Array(4).fill("urn:pulumi:other"));
  });
});
