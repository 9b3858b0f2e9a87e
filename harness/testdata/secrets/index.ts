/**
 * Harness test program: options the engine acts on — additionalSecretOutputs, a secret
 * input, retainOnDelete, addPreviousOutputInEnv false, logging, ignoreChanges — and a
 * command without a delete.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

const cfg = new pulumi.Config();
const dir = cfg.require("dir");
const rev = cfg.get("rev") ?? "1";
const env = { LOG: `${dir}/ops.log`, REV: rev };

const kube = new command.local.Command(
  "kube",
  { create: `echo "kubeconfig-$REV"`, environment: env, logging: "none" },
  { additionalSecretOutputs: ["stdout"] },
);
const fromSecret = new command.local.Command("from-secret", {
  create: `echo "len=\${#TOKEN}"`,
  environment: { ...env, TOKEN: pulumi.secret("tok") },
});
const retained = new command.local.Command(
  "retained",
  { create: `echo "retained create" >> "$LOG"`, delete: `echo "retained delete" >> "$LOG"`, environment: env },
  { retainOnDelete: true },
);
const noPrev = new command.local.Command("no-prev", {
  create: `echo "first-$REV"`,
  update: `echo "no-prev update prev=\${PULUMI_COMMAND_STDOUT:-unset}" >> "$LOG"; echo "again-$REV"`,
  delete: `echo "no-prev delete prev=\${PULUMI_COMMAND_STDOUT:-unset}" >> "$LOG"`,
  environment: env,
  addPreviousOutputInEnv: false,
});
const ignored = new command.local.Command(
  "ignored",
  { create: `echo "ignored create $REV" >> "$LOG"; echo "$REV"`, environment: env },
  { ignoreChanges: ["environment"] },
);
const nothing = new command.local.Command("nothing", { environment: env });

export const kubeconfig = kube.stdout;
export const secretLen = fromSecret.stdout;
export const plain = pulumi.all([retained.stdout, noPrev.stdout, ignored.stdout, nothing.stdout]);
