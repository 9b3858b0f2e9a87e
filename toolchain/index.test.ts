/**
 * Which command provider a Pulumi run gets, and the environment it runs in: the official
 * plugin when Pulumi's plugin cache holds the pinned version, else the project's own
 * (provider/bin on PATH). Each test has its own PULUMI_HOME in a temp folder.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COMMAND_VERSION } from "../provider/provider";
import { officialCommandPlugin, OWN_PROVIDER_DIR, pulumiEnv, pulumiHome, REPO_DIR } from "./index";

describe("officialCommandPlugin and pulumiEnv", () => {
  let home: string;
  const bin = "/opt/pulumi-bin";
  const pluginDir = (version: string): string => path.join(home, "plugins", `resource-command-v${version}`);
  const install = (version: string, file = "pulumi-resource-command"): void => {
    fs.mkdirSync(pluginDir(version), { recursive: true });
    fs.writeFileSync(path.join(pluginDir(version), file), "#!/bin/sh\n", { mode: 0o755 });
  };
  const base = (): NodeJS.ProcessEnv => ({ PULUMI_HOME: home, PATH: "/usr/bin:/bin", HOME: "/nonexistent-home" });

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-home-test-"));
  });
  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("pins the command plugin at @pulumi/command's version, 1.2.1", () => {
    expect(COMMAND_VERSION).toBe("1.2.1");
  });

  it("the project's provider dir is provider/bin, holding the executable pulumi-resource-command", () => {
    expect(OWN_PROVIDER_DIR).toBe(path.join(REPO_DIR, "provider", "bin"));
    fs.accessSync(path.join(OWN_PROVIDER_DIR, "pulumi-resource-command"), fs.constants.X_OK);
  });

  it("pulumiHome is $PULUMI_HOME, else ~/.pulumi", () => {
    expect(pulumiHome({ PULUMI_HOME: home })).toBe(home);
    expect(pulumiHome({})).toBe(path.join(os.homedir(), ".pulumi"));
  });

  it("with an empty plugin cache: no official plugin; PATH is the toolchain, then the project's provider, then the caller's PATH", () => {
    expect(officialCommandPlugin(base())).toBe(false);
    expect(pulumiEnv(bin, base()).PATH).toBe([bin, OWN_PROVIDER_DIR, "/usr/bin", "/bin"].join(path.delimiter));
  });

  it("with resource-command-v1.2.1/pulumi-resource-command in the cache: the official plugin, and the project's provider is not on PATH", () => {
    install(COMMAND_VERSION);
    expect(officialCommandPlugin(base())).toBe(true);
    const env = pulumiEnv(bin, base());
    expect(env.PATH).toBe([bin, "/usr/bin", "/bin"].join(path.delimiter));
    expect(env.PATH?.split(path.delimiter)).not.toContain(OWN_PROVIDER_DIR);
  });

  it("another version of the plugin, or its folder without the executable, does not count", () => {
    install("1.0.0");
    install("4.5.0");
    fs.mkdirSync(pluginDir(COMMAND_VERSION), { recursive: true });
    fs.writeFileSync(path.join(pluginDir(COMMAND_VERSION), "README.md"), "");
    expect(officialCommandPlugin(base())).toBe(false);
    expect(pulumiEnv(bin, base()).PATH?.split(path.delimiter)).toContain(OWN_PROVIDER_DIR);
  });

  it("looks in $PULUMI_HOME only, not ~/.pulumi, when PULUMI_HOME is set", () => {
    const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-home-other-"));
    try {
      install(COMMAND_VERSION);
      expect(officialCommandPlugin({ PULUMI_HOME: otherHome })).toBe(false);
      expect(officialCommandPlugin({ PULUMI_HOME: home })).toBe(true);
    } finally {
      fs.rmSync(otherHome, { recursive: true, force: true });
    }
  });

  it("without a PATH the default system PATH follows the toolchain", () => {
    const { PATH: _none, ...noPath } = base();
    expect(pulumiEnv(bin, noPath).PATH).toBe([bin, OWN_PROVIDER_DIR, "/usr/local/bin:/usr/bin:/bin"].join(path.delimiter));
  });

  it("sets local-state and no-network defaults, keeping a given passphrase and transpile choice", () => {
    const env = pulumiEnv(bin, base());
    expect(env).toMatchObject({
      PULUMI_HOME: home,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    });
    const given = pulumiEnv(bin, { ...base(), PULUMI_CONFIG_PASSPHRASE: "s3cret", PULUMI_NODEJS_TRANSPILE_ONLY: "false" });
    expect(given.PULUMI_CONFIG_PASSPHRASE).toBe("s3cret");
    expect(given.PULUMI_NODEJS_TRANSPILE_ONLY).toBe("false");
  });

  it("does not change the environment it is given", () => {
    const env = base();
    const copy = { ...env };
    pulumiEnv(bin, env);
    expect(env).toEqual(copy);
  });
});
