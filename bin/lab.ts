/**
 * `npm run lab -- up|preview|destroy|outputs STACK [--netns]`: the Pulumi CLI steps a
 * user runs by hand, in order, with the pinned toolchain (built on first use, with
 * progress) and local state, so no Pulumi account, login, update check or plugin
 * download is needed.
 *
 * - up: `pulumi stack select --create`, with --netns `pulumi config set backend netns`
 *   (recorded in Pulumi.<stack>.yaml, so a later plain `pulumi up -s STACK` keeps it),
 *   `pulumi up --yes`, then the verdicts as `npm run verify` prints them (exit 1 when a
 *   capture failed).
 * - preview: the same selection, then `pulumi preview`.
 * - destroy: `pulumi destroy --yes`. outputs: `pulumi stack output --json --show-secrets`.
 */
import { spawnSync } from "child_process";
import { pulumiRunner, stackOutputArgs } from "../verdicts/stackOutputs";
import { verifySource } from "../verdicts/verify";
import { pulumiEnv, REPO_DIR, toolchainDir } from "../toolchain";

const ACTIONS = ["up", "preview", "destroy", "outputs"] as const;
type Action = (typeof ACTIONS)[number];

export const LAB_USAGE = [
  "usage: npm run lab -- up|preview|destroy|outputs STACK [--netns]",
  "  STACK is ipip, crosssubnet, bgp, vxlan or vxlancrosssubnet (or any stack with a Pulumi.STACK.yaml)",
  "  --netns  run on network namespaces instead of Docker + kind + containerlab;",
  "           recorded in Pulumi.STACK.yaml, so a later plain 'pulumi up -s STACK' keeps it",
].join("\n");

export interface LabArgs {
  action: Action;
  stack: string;
  netns: boolean;
}

/** The command line, or what is wrong with it. */
export function parseLabArgs(argv: string[]): LabArgs | { error: string } {
  const [action, stack, ...rest] = argv;
  if (!ACTIONS.includes(action as Action) || stack === undefined) return { error: LAB_USAGE };
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) return { error: `lab: stack name "${stack}" may hold only letters, digits and _.-` };
  if (rest.some((a) => a !== "--netns")) return { error: LAB_USAGE };
  return { action: action as Action, stack, netns: rest.includes("--netns") };
}

/** The `pulumi` argument lists an action runs, in order. */
export function labSteps(a: LabArgs): string[][] {
  const select = [["stack", "select", "--create", a.stack], ...(a.netns ? [["config", "set", "--stack", a.stack, "backend", "netns"]] : [])];
  switch (a.action) {
    case "up":
      return [...select, ["up", "--stack", a.stack, "--yes", "--skip-plugin-pre-install"]];
    case "preview":
      return [...select, ["preview", "--stack", a.stack, "--skip-plugin-pre-install"]];
    case "destroy":
      return [["destroy", "--stack", a.stack, "--yes", "--skip-plugin-pre-install"]];
    case "outputs":
      return [stackOutputArgs(a.stack)];
  }
}

async function main(): Promise<number> {
  const args = parseLabArgs(process.argv.slice(2));
  if ("error" in args) {
    process.stderr.write(`${args.error}\n`);
    return 2;
  }
  let bin: string;
  try {
    bin = toolchainDir();
  } catch (e) {
    process.stderr.write(`lab: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const env = pulumiEnv(bin);
  const pulumi = `${bin}/pulumi`;
  for (const step of labSteps(args)) {
    const r = spawnSync(pulumi, step, { cwd: REPO_DIR, env, stdio: "inherit" });
    if (r.status !== 0) return r.status ?? 1;
  }
  if (args.action !== "up") return 0;
  const verdict = await verifySource({ kind: "stack", name: args.stack }, { cwd: REPO_DIR, pulumi: pulumiRunner(pulumi, env) });
  process.stdout.write(verdict.stdout);
  process.stderr.write(verdict.stderr);
  return verdict.code;
}

if (require.main === module)
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`lab: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
