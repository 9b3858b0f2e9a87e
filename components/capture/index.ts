import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as path from "path";
import { CaptureInvocation } from "../backend";
import { CaptureResult, LabSpec, NodeSpec, ScenarioSpec } from "../../model/spec";
import { bashScript } from "../../model/shell";
import { analyzeFile } from "../../analysis";
import { captureEnvironment, captureResult, parseCaptureOutput, pcapPath } from "./result";

export * from "./result";

const REMOVE_SCRIPT = path.join(__dirname, "..", "..", "assets", "capture", "remove.sh");

export interface CaptureRunArgs {
  /** The validated lab. */
  spec: LabSpec;
  /** The scenario to capture. */
  scenario: ScenarioSpec;
  /** Node whose pod sends; tcpdump listens on its underlay NIC. */
  client: NodeSpec;
  /** Node whose pod answers. */
  server: NodeSpec;
  /** The backend's capture script and its own environment. */
  invocation: CaptureInvocation;
  /** Resources that must exist before traffic can flow (the backend's `ready`). */
  after: pulumi.Resource[];
}

/**
 * One scenario's capture: a Command runs the backend's capture script (tcpdump on the
 * client node's net0 while the client pod pings and fetches from the server pod), then
 * the program reads the pcap and judges the encapsulation it shows.
 */
export class CaptureRun extends pulumi.ComponentResource {
  /** The scenario's result as it appears in the stack output `captures`. */
  public readonly result: pulumi.Output<CaptureResult>;
  /** The Command that ran tcpdump and the traffic. */
  public readonly tcpdump: command.local.Command;

  constructor(name: string, args: CaptureRunArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:capture:CaptureRun", name, {}, opts);
    const { spec, scenario, client, server, invocation } = args;
    this.tcpdump = new command.local.Command(
      `${name}-tcpdump`,
      {
        create: bashScript(invocation.script),
        delete: bashScript(REMOVE_SCRIPT),
        environment: captureEnvironment(spec, scenario, client, server, invocation.environment),
      },
      { parent: this, dependsOn: args.after },
    );
    this.result = pulumi.all([this.tcpdump.stdout, invocation.pods]).apply(async ([stdout, pods]) => {
      const observed = parseCaptureOutput(stdout, pods);
      const analysis = await analyzeFile(pcapPath(spec, scenario));
      return captureResult(spec, scenario, client, server, observed, analysis);
    });
    this.registerOutputs({ result: this.result });
  }
}
