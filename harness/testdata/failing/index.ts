/**
 * Harness test program: `first` succeeds, `bad` fails (output on both streams, exit 3),
 * `after` depends on `bad` and must never run; `slow` runs beside them and, being under
 * way when `bad` fails, completes and is saved.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

const cfg = new pulumi.Config();
const dir = cfg.require("dir");
const env = { LOG: `${dir}/ops.log` };
const badExit = cfg.get("badExit") ?? "3";

const first = new command.local.Command("first", {
  create: `echo "first create" >> "$LOG"`,
  delete: `echo "first delete" >> "$LOG"`,
  environment: env,
});
const slow = new command.local.Command("slow", {
  create: `sleep 1; echo "slow create" >> "$LOG"`,
  delete: `echo "slow delete" >> "$LOG"`,
  environment: env,
});
const bad = new command.local.Command(
  "bad",
  {
    create: `echo "bad create" >> "$LOG"; echo partial-out; echo boom >&2; exit ${badExit}`,
    delete: `echo "bad delete" >> "$LOG"`,
    environment: env,
  },
  { dependsOn: [first] },
);
const after = new command.local.Command(
  "after",
  {
    create: `echo "after create" >> "$LOG"`,
    delete: `echo "after delete" >> "$LOG"`,
    environment: env,
  },
  { dependsOn: [bad] },
);

// With onlyAfter, the only output waits on `after`, which never registers: the program
// cannot finish on its own (as with Commands that depend on a failed one through dependsOn).
export const out = cfg.getBoolean("onlyAfter") ? after.stdout : pulumi.all([first.stdout, slow.stdout, bad.stdout, after.stdout]);
