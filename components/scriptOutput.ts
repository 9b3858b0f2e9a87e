/**
 * The one reader of what a lab script returns: every script under assets/ prints
 * progress on stderr and its result as one JSON value on the last line of stdout.
 */

/** The JSON value on the last non-blank line of `stdout`; the error names `script` and the line. */
export function lastJsonLine(stdout: string, script: string): { value: unknown; line: string } {
  const line = stdout.trim().split("\n").pop() ?? "";
  try {
    return { value: JSON.parse(line) as unknown, line };
  } catch {
    throw new Error(`${script}'s last line is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
  }
}

/** The last line's JSON object; the error says what the script printed instead. */
export function lastJsonObject(stdout: string, script: string): { value: Record<string, unknown>; line: string } {
  const { value, line } = lastJsonLine(stdout, script);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${script}'s last line is not a JSON object: ${JSON.stringify(line.slice(0, 200))}`);
  }
  return { value: value as Record<string, unknown>, line };
}
