/**
 * The executing harness: runs the real Pulumi program under mocks that execute every
 * `command:local:Command` as @pulumi/command 1.2.1 would (see provider.ts and engine.ts).
 * A test tool — users run the real `pulumi` CLI.
 */
export { runUp, runPreview, runDestroy, readState } from "./harness";
export type { UpOptions, DestroyOptions } from "./harness";
export { loadStackConfig, toCliConfig, projectName, fullKey } from "./config";
export * from "./types";
