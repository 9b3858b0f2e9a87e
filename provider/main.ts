/**
 * Entry point of `pulumi-resource-command` (bin/): serves CommandProvider over the
 * provider protocol, logs each output line to the engine against its resource (as a
 * status line, like upstream), stops the running scripts on SIGINT/SIGTERM, and exits
 * when the engine that started it is gone.
 */
import * as grpc from "@grpc/grpc-js";
import * as pulumiProvider from "@pulumi/pulumi/provider";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import { runningCount, stopAll } from "./exec";
import { CommandProvider, Log } from "./provider";

/** How long one log line may take to reach the engine before it is given up on. */
const LOG_DEADLINE_MS = 10_000;

function engineLog(address: string | undefined): Log {
  const client = address ? new engrpc.EngineClient(address, grpc.credentials.createInsecure()) : undefined;
  const send = (severity: engproto.LogSeverity, urn: string, text: string, ephemeral: boolean): Promise<void> => {
    if (!client) {
      process.stderr.write(`${text}\n`);
      return Promise.resolve();
    }
    const req = new engproto.LogRequest();
    req.setSeverity(severity);
    req.setMessage(text);
    req.setUrn(urn);
    req.setEphemeral(ephemeral);
    // A log line that cannot be delivered is not worth failing the step: resolve either way.
    return new Promise((resolve) => client.log(req, new grpc.Metadata(), { deadline: Date.now() + LOG_DEADLINE_MS }, () => resolve()));
  };
  return {
    line: (urn, _stream, text) => send(engproto.LogSeverity.INFO, urn, text, true),
    warn: (urn, text) => void send(engproto.LogSeverity.WARNING, urn, text, false),
  };
}

const args = process.argv.slice(2);

/** The engine's address: the first argument that is not one of the engine's logging flags. */
export function engineAddress(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--tracing") i++;
    else if (argv[i] !== "--logtostderr" && !argv[i].startsWith("-v=")) return argv[i];
  }
  return undefined;
}
const parentPid = process.ppid;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopAll();
    // The engine still gets each stopped script's failure; exit once they are reported.
    const exitWhenIdle = setInterval(() => {
      if (runningCount() === 0) setTimeout(() => process.exit(0), 500);
    }, 100);
    exitWhenIdle.unref();
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
// An engine that died without shutting its plugins down leaves this process to init.
setInterval(() => {
  if (process.ppid !== parentPid) {
    stopAll(0);
    process.exit(1);
  }
}, 1000).unref();

pulumiProvider.main(new CommandProvider(engineLog(engineAddress(args))), args).catch((e: Error) => {
  process.stderr.write(`pulumi-resource-command: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
