/**
 * The Pulumi toolchain as the project's tools use it: where the pinned CLI is
 * (toolchain.sh builds or finds it), which command provider runs (the official plugin
 * when Pulumi's plugin cache holds it, else the project's own, provider/), and the
 * environment every run gets: local state, no login, no update check, no plugin download.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COMMAND_VERSION } from "../provider/provider";

/** The repository root: the Pulumi program's folder. */
export const REPO_DIR = path.resolve(__dirname, "..");
/** Set to a folder holding `pulumi` to skip toolchain.sh (CI and the test suites set it once). */
export const TOOLCHAIN_DIR_ENV = "CALICO_IPIP_LAB_PULUMI_DIR";
/** The project's provider executable's folder (the sh wrapper `pulumi-resource-command`). */
export const OWN_PROVIDER_DIR = path.join(REPO_DIR, "provider", "bin");

/**
 * The folder holding `pulumi`: $CALICO_IPIP_LAB_PULUMI_DIR, else what toolchain.sh prints
 * last (it shows its progress on this process's stderr). Throws with its message when it fails.
 */
export function toolchainDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[TOOLCHAIN_DIR_ENV];
  if (given && fs.existsSync(path.join(given, "pulumi"))) return given;
  const r = spawnSync("bash", [path.join(REPO_DIR, "toolchain", "toolchain.sh")], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const last = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.status !== 0 || last === "" || !fs.existsSync(path.join(last, "pulumi"))) {
    throw new Error(`npm run toolchain failed (exit ${r.status ?? r.signal}); its messages are above`);
  }
  if (env === process.env) process.env[TOOLCHAIN_DIR_ENV] = last; // later calls in this process skip the script
  return last;
}

/** Pulumi's home: $PULUMI_HOME, else ~/.pulumi. */
export function pulumiHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
}

/** Whether Pulumi's plugin cache holds the official command plugin of the pinned version. */
export function officialCommandPlugin(env: NodeJS.ProcessEnv = process.env): boolean {
  return fs.existsSync(path.join(pulumiHome(env), "plugins", `resource-command-v${COMMAND_VERSION}`, "pulumi-resource-command"));
}

/**
 * The environment for a Pulumi CLI run: the toolchain first on PATH, then the project's
 * command provider unless the official one is installed; local state needs a passphrase
 * (empty unless one is set); no update check, no plugin download; the program
 * transpiled without type checks (npm test type-checks it).
 */
export function pulumiEnv(binDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dirs = [binDir, ...(officialCommandPlugin(base) ? [] : [OWN_PROVIDER_DIR])];
  return {
    ...base,
    PATH: [...dirs, base.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(path.delimiter),
    PULUMI_CONFIG_PASSPHRASE: base.PULUMI_CONFIG_PASSPHRASE ?? "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: base.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
  };
}
