/** Reading stack config: the only place that knows config arrives as strings. */
import * as pulumi from "@pulumi/pulumi";
import { buildLabSpec, CONFIG_KEYS, LabContext, RawLabConfig } from "./config";
import { HOST_PATHS } from "./hostPaths";
import { LabSpec } from "./spec";

const NUMBER_KEYS = new Set<string>(["blockSize", "mtu"]);
const OBJECT_KEYS = new Set<string>(["topology", "images", "calico", "scenarios", "capture", "bgp"]);

/**
 * Turn the CLI's string values into a RawLabConfig. Numbers and objects that do not
 * parse are passed on as the text the user wrote, so validation names them.
 */
export function readRawConfig(get: (key: string) => string | undefined): RawLabConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const text = get(key);
    if (text === undefined) continue;
    if (NUMBER_KEYS.has(key)) raw[key] = /^-?\d+$/.test(text.trim()) ? Number(text) : text;
    else if (OBJECT_KEYS.has(key)) raw[key] = parseJson(text);
    else raw[key] = text;
  }
  return raw as RawLabConfig;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The LabSpec of the running stack. Config errors become a RunError so Pulumi prints
 * the list of problems without a stack trace, before any resource is registered.
 */
export function loadLabSpec(ctx: LabContext = { stack: pulumi.getStack(), cwd: process.cwd(), host: HOST_PATHS }): LabSpec {
  const config = new pulumi.Config();
  try {
    return buildLabSpec(readRawConfig((k) => config.get(k)), ctx);
  } catch (e) {
    throw new pulumi.RunError(e instanceof Error ? e.message : String(e));
  }
}
