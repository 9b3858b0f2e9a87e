/** Which files in $PULUMI_HOME/logs belong to a stack's runs: by the stack's name, or by a CLI's PID. */
import { isRunLog } from "./stack";

describe("isRunLog", () => {
  const pids = new Set([4242]);
  it("claims the renamed log of the stack and the unrenamed logs of its CLIs", () => {
    expect(isRunLog("organization+calico-ipip-lab+e2e-ip-ab12-20261203T101010.log", "calico-ipip-lab", "e2e-ip-ab12", pids)).toBe(true);
    expect(isRunLog("pulumi-20261203T101010-4242-up.log", "calico-ipip-lab", "e2e-ip-ab12", pids)).toBe(true);
    expect(isRunLog("pulumi-20261203T101010-4242.log", "calico-ipip-lab", "e2e-ip-ab12", pids)).toBe(true);
  });
  it("leaves another stack whose name starts the same, other CLIs' logs and other files alone", () => {
    expect(isRunLog("organization+calico-ipip-lab+e2e-ip-ab12-x-20261203T101010.log", "calico-ipip-lab", "e2e-ip-ab12", pids)).toBe(false);
    expect(isRunLog("organization+other+e2e-ip-ab12-20261203T101010.log", "calico-ipip-lab", "e2e-ip-ab12", pids)).toBe(false);
    expect(isRunLog("pulumi-20261203T101010-4243-up.log", "calico-ipip-lab", "e2e-ip-ab12", pids)).toBe(false);
    expect(isRunLog("notes.txt", "calico-ipip-lab", "e2e-ip-ab12", pids)).toBe(false);
  });
});
