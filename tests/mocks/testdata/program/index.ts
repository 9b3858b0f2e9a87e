/**
 * The program tests/mocks/runner.test.ts previews: a Box component holding a Command `a`
 * and a Command `b` that depends on `a` and reads its stdout; config `mode` (a string),
 * `sizes` and `limits` (objects), optional `token` (secret) and `extra`. Mode `bad`
 * fails before any resource, as the lab's config validation does.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

const config = new pulumi.Config();
const mode = config.require("mode");
if (mode === "bad") throw new pulumi.RunError(`mode: "bad" is not valid; allowed values are fast, slow`);
const sizes = config.requireObject<number[]>("sizes");
const limits = config.requireObject<{ cpu: number }>("limits");

class Box extends pulumi.ComponentResource {
  public readonly b: command.local.Command;

  constructor(name: string) {
    super("mock-probe:index:Box", name, {});
    const a = new command.local.Command(`${name}-a`, { create: `echo ${mode}`, environment: { SIZES: sizes.join(","), CPU: String(limits.cpu) } }, { parent: this });
    this.b = new command.local.Command(
      `${name}-b`,
      {
        create: "cat",
        stdin: a.stdout,
        environment: { TOKEN: config.getSecret("token") ?? "none", EXTRA: config.get("extra") ?? "unset", CWD: process.cwd() },
      },
      { parent: this, dependsOn: [a] },
    );
    this.registerOutputs({});
  }
}

const box = new Box("box");
export const out = box.b.stdout;
