/** Quote one word for POSIX sh: the only shell text the program builds itself. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `bash '<script>'`: how every Command runs its script file. */
export function bashScript(script: string): string {
  return `bash ${shellQuote(script)}`;
}
