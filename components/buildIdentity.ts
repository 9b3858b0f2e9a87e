/**
 * What both backends' checks of whether their lab is still on the host share
 * (components/netns/survival.ts, components/kind/labPresence.ts): the identities a build step records, read back while its
 * part of the lab is whole and made anew to re-create it, and the one warning a user
 * sees when an update rebuilds what was lost.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";

/** A fresh identity for a build step: `<kind>-<time>-<random>`, of the characters the scripts accept. */
export function newIdentity(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${crypto.randomBytes(3).toString("hex")}`;
}

/** A recorded identity (or pid) file's text, trimmed; null when it cannot be read. */
export function readRecord(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

/** Tell the user, before anything runs, that this update rebuilds what the host lost. */
export function warnNotWhole(lab: string, problems: readonly string[]): void {
  if (problems.length > 0) void pulumi.log.warn(`lab ${lab} is not whole on this host (${problems.join("; ")}): this update rebuilds what is missing`);
}
