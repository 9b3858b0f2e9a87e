/**
 * Harness test program: three Commands in a chain (a → b by input, b → c by dependsOn)
 * under a component, an optional fourth one, and stack outputs of several shapes. Each
 * script appends "<name> <op> ..." to $LOG so tests see what ran, in which order, with
 * which environment.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

const cfg = new pulumi.Config();
const dir = cfg.require("dir");
const log = `${dir}/ops.log`;
const greeting = cfg.get("greeting") ?? "hello";
const trigger = cfg.get("trigger") ?? "1";
const deleteBeforeReplace = cfg.getBoolean("dbr") ?? false;
const withD = cfg.getBoolean("withD") ?? false;

class Group extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("harness:test:Group", name, {}, opts);
    this.registerOutputs({});
  }
}

const a = new command.local.Command("a", {
  create: `echo "a create $GREETING" >> "$LOG"; printf '%s\\n\\n' "$GREETING"`,
  update: `echo "a update was=$PULUMI_COMMAND_STDOUT" >> "$LOG"; echo "$GREETING"`,
  delete: `echo "a delete was=$PULUMI_COMMAND_STDOUT" >> "$LOG"`,
  environment: { LOG: log, GREETING: greeting },
});

const group = new Group("group");

const b = new command.local.Command(
  "b",
  {
    create: `echo "b create from_a=$FROM_A" >> "$LOG"; echo "b saw $FROM_A"; echo "b warns" >&2`,
    delete: `echo "b delete" >> "$LOG"`,
    environment: { LOG: log, FROM_A: a.stdout },
    triggers: [trigger],
  },
  { parent: group, deleteBeforeReplace },
);

const c = new command.local.Command(
  "c",
  {
    create: `echo "c create" >> "$LOG"; pwd; cat; echo "shell=$0"`,
    delete: `echo "c delete" >> "$LOG"`,
    dir,
    stdin: "from-stdin",
    interpreter: ["/bin/bash", "-c"],
    environment: { LOG: log },
  },
  { parent: group, dependsOn: [b] },
);

let d: command.local.Command | undefined;
if (withD) {
  d = new command.local.Command("d", {
    create: `echo "d create" >> "$LOG"`,
    delete: `echo "d delete" >> "$LOG"`,
    environment: { LOG: log },
  });
}

export const aOut = a.stdout;
export const bOut = b.stdout;
export const bErr = b.stderr;
export const cOut = c.stdout;
export const summary = { a: a.stdout, list: [b.stdout, pulumi.output(42)], nested: { d: d ? d.stdout : "none" } };
export const secretOut = pulumi.secret("s3cret");
