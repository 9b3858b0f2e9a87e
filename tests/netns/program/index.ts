/**
 * The netns backend the way CalicoIpipLab uses it, and nothing else: one NetnsLab and a
 * CaptureRun per scenario, each after the backend's `ready`. Run by the real Pulumi
 * engine in tests/netns/liveModeSwitch.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { CaptureResult } from "../../../model/spec";
import { CaptureRun } from "../../../components/capture";
import { overallVerdict } from "../../../components/capture/result";
import { loadLabSpec } from "../../../model/pulumiConfig";
import { netnsBackend } from "../../../components/netns";

class NetnsOnly extends pulumi.ComponentResource {
  public readonly dataplane: pulumi.Output<string>;
  public readonly captures: pulumi.Output<CaptureResult[]>;

  constructor(name: string) {
    super("calico-ipip-lab:test:NetnsOnly", name, {});
    const spec = loadLabSpec();
    const backend = netnsBackend(spec, this);
    const byIndex = new Map(spec.nodes.map((n) => [n.index, n]));
    const runs = spec.scenarios.map((scenario) => {
      const client = byIndex.get(scenario.client)!;
      const server = byIndex.get(scenario.server)!;
      const invocation = backend.capture(scenario, client, server);
      return new CaptureRun(`${name}-${scenario.name}`, { spec, scenario, client, server, invocation, after: backend.ready }, { parent: this });
    });
    this.dataplane = backend.dataplane;
    this.captures = pulumi.all(runs.map((r) => r.result));
    this.registerOutputs({ dataplane: this.dataplane, captures: this.captures });
  }
}

const lab = new NetnsOnly("lab");
export const dataplane = lab.dataplane;
export const captures = lab.captures;
export const verdict = lab.captures.apply(overallVerdict);
