import { readFlags, readSecretFlags, splitCommandLine, validateFlags } from "./args";
import "./commands";
import { createCliContext } from "./context";
import { describeFailure, EXIT, UsageError } from "./errors";
import { helpFor } from "./help";
import { oneLine, writeResult } from "./output";
import { findCommand, isGroup } from "./registry";

/**
 * The admin command line: `npm run gatehouse -- <command> [flags]`.
 * It picks the command from the leading words, validates the flags before
 * touching the data folder, runs the command through the shared services,
 * and prints the result (text or --json). Any failure is one line on stderr
 * and a non-zero exit code (see errors.ts); never a stack trace.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const { words, rest } = splitCommandLine(argv);
  const json = rest.includes("--json");
  let commandName: string | null = null;
  const ctx = createCliContext();
  try {
    if (words[0] === "help" || words.length === 0 || (isGroup(words) && !findCommand(words))) {
      // `help [words]`, no command at all, or a bare group such as `user`: show help.
      const topic = words[0] === "help" ? words.slice(1) : words;
      if (rest.some((a) => a !== "--json" && a !== "--help" && a !== "-h")) {
        throw new UsageError(
          words[0] === "help" ? "help takes no flags" : "the command comes first (run: npm run gatehouse -- help)",
        );
      }
      if (topic.length > 0 && !isGroup(topic) && findCommand(topic)?.used !== topic.length) throw unknownCommand(topic);
      writeResult(helpFor(topic), json);
      return EXIT.ok;
    }
    const found = findCommand(words);
    if (!found || found.used !== words.length) throw unknownCommand(words);
    const { command } = found;
    commandName = command.path.join(" ");
    const flags = readFlags(command.flags, rest);
    if (flags.help) {
      writeResult(helpFor(command.path), flags.json);
      return EXIT.ok;
    }
    await readSecretFlags(command.flags, flags.raw);
    const input = validateFlags(command.flags, flags.raw);
    const result = await command.run(ctx, input);
    writeResult(result, flags.json);
    return result.exitCode ?? EXIT.ok;
  } catch (error) {
    const { line, code } = describeFailure(error, commandName);
    process.stderr.write(`${line}\n`);
    return code;
  } finally {
    await ctx.close();
  }
}

// The words are shown so a typo is obvious; command words come before any flag, so they are never a flag's value.
function unknownCommand(words: readonly string[]): UsageError {
  return new UsageError(`unknown command "${oneLine(words.join(" ")).slice(0, 60)}" (run: npm run gatehouse -- help)`);
}

// `gatehouse user list | head` closes the pipe early: not worth an error, and never a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") process.stderr.write(`gatehouse: cannot write output: ${error.code ?? error.name}\n`);
  process.exitCode ||= EXIT.failed;
});

// The exit code is set rather than calling process.exit(), so stdout is fully flushed to a pipe first.
process.exitCode = await main(process.argv.slice(2));
