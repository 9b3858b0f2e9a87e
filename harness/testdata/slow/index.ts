/**
 * Harness test program for stopped runs: `one` takes a while (config `seconds`, default 3),
 * `two` waits for it. A run stopped while `one` is under way must let `one` finish and
 * save it, and never start `two`. Each script appends "<name> <op>" to $LOG.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

const cfg = new pulumi.Config();
const dir = cfg.require("dir");
const seconds = cfg.get("seconds") ?? "3";
const env = { LOG: `${dir}/ops.log` };

const one = new command.local.Command("one", {
  create: `echo "one create" >> "$LOG"; echo working; sleep ${seconds}; echo "one done" >> "$LOG"; echo done`,
  delete: `echo "one delete" >> "$LOG"`,
  environment: env,
});
const two = new command.local.Command(
  "two",
  {
    create: `echo "two create" >> "$LOG"`,
    delete: `echo "two delete" >> "$LOG"`,
    environment: env,
  },
  { dependsOn: [one] },
);

export const out = pulumi.all([one.stdout, two.stdout]);
