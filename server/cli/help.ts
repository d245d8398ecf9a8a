import { argName, flagName, GLOBAL_FLAGS, isOptional } from "./args";
import { EXIT } from "./errors";
import { allCommands, type Command, type CommandResult } from "./registry";

/**
 * Help is generated from the registry, so a new command documents itself:
 * its usage line comes from its flags (optional ones in brackets) and its
 * summary and flag descriptions from its definition.
 */

export function usageLine(command: Command): string {
  const parts = Object.entries(command.flags).map(([key, spec]) => {
    const text = spec.positional
      ? argName(key, spec)
      : spec.type === "string"
        ? `${flagName(key)} ${spec.placeholder ?? "VALUE"}${spec.multiple ? " …" : ""}`
        : flagName(key);
    return isOptional(spec.schema) ? `[${text}]` : text;
  });
  return [...command.path, ...parts].join(" ");
}

function commandInfo(command: Command) {
  return {
    command: command.path.join(" "),
    usage: usageLine(command),
    summary: command.summary,
    flags: Object.entries(command.flags).map(([key, spec]) => ({
      flag: argName(key, spec),
      required: !isOptional(spec.schema),
      description: spec.description,
    })),
  };
}

const GLOBALS_TEXT = [
  "Global flags:",
  `  --json       ${GLOBAL_FLAGS.json.description}`,
  `  -h, --help   ${GLOBAL_FLAGS.help.description}`,
].join("\n");

/** Help for everything, or for the commands under some words (`help user`, `user create --help`). */
export function helpFor(words: readonly string[] = []): CommandResult {
  const commands = allCommands().filter((c) => words.every((w, i) => c.path[i] === w));
  const one = commands.length === 1 && commands[0]?.path.length === words.length ? commands[0] : undefined;
  if (one) {
    const flags = Object.entries(one.flags).map(
      ([key, spec]) => `  ${argName(key, spec).padEnd(16)} ${spec.description}`,
    );
    return {
      json: commandInfo(one),
      text: [
        `Usage: npm run gatehouse -- ${usageLine(one)}`,
        "",
        one.summary,
        "",
        "Flags:",
        ...flags,
        "",
        GLOBALS_TEXT,
      ].join("\n"),
    };
  }
  const list = commands.flatMap((c) => [`  ${usageLine(c)}`, `      ${c.summary}`]);
  return {
    json: { commands: commands.map(commandInfo) },
    text: [
      "Gatehouse admin command line: acts on the data folder configured by the environment",
      "(DATA_DIR and the other variables the server reads), through the same services as the",
      "dashboard. Every change is recorded in the audit log with actor `cli`.",
      "",
      "Usage: npm run gatehouse -- <command> [flags]",
      "",
      "Commands:",
      ...list,
      "  help [command]",
      "      Show this help, or the flags of one command",
      "",
      GLOBALS_TEXT,
      "",
      `Exit codes: ${EXIT.ok} success, ${EXIT.failed} failed, ${EXIT.config} configuration error, ${EXIT.usage} usage error.`,
    ].join("\n"),
  };
}
