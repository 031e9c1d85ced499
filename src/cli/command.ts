/** What a CLI command is — its options, arguments and help — and how its command line is parsed. */
import { parseArgs } from "node:util";
import type { Paint } from "./colour.js";
import type { Session } from "./session.js";
import { usageError } from "./errors.js";

/** One option of a command: how it parses and what its help says. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's placeholder in the help (`URL`, `N`). */
  readonly value?: string;
  readonly help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values: strings, booleans, or lists of strings for repeatable options. */
export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** Where a command writes and reads. */
export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
}

/** What a command's `run` gets. */
export interface CommandContext {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly session: Session;
  readonly io: Io;
  /** Colours for standard output (no-ops when it gets none: piped, `NO_COLOR`, `--no-color`). */
  readonly paint: Paint;
}

/** A command: its name (`dlq requeue`), help, options and action. */
export interface Command {
  readonly name: string;
  /** One line, for the list of commands. */
  readonly summary: string;
  /** The usage line's arguments (`<queue> [ID…]`). */
  readonly args: string;
  /** More help: what it does, examples. */
  readonly details: string;
  readonly options: OptionSpecs;
  /** Positional arguments: at least `min`, at most `max` (Infinity for lists). */
  readonly positionals: { readonly min: number; readonly max: number };
  run(context: CommandContext): Promise<number>;
}

/**
 * The options every command takes, before or after the command's name
 * (`eventwire --prefix events: queues` and `eventwire queues --prefix
 * events:` are the same). A command that has no use for one ignores it, as
 * it ignores the environment variable that sets it.
 */
export const globalOptions: OptionSpecs = {
  redis: { type: "string", value: "URL", help: "Redis to use (default: $REDIS_URL, else the config file's, else redis://127.0.0.1:6379)" },
  cluster: { type: "string", value: "NODES", help: "a Redis Cluster instead, from seed nodes host:port[,host:port…] (default: $REDIS_CLUSTER_NODES)" },
  prefix: { type: "string", value: "P", help: "the queues' key prefix (default: $EVENTWIRE_PREFIX, else the config file's, else mq:)" },
  proto: { type: "string", multiple: true, value: "PATH", help: "more event types, from the .proto files in a folder (or one file); repeatable" },
  config: { type: "string", value: "FILE", help: "the config file (default: eventwire.config.json, looked for upward from the working directory)" },
  json: { type: "boolean", help: "print JSON, for scripts" },
  color: { type: "boolean", help: "colour the output even when it is not a terminal" },
  "no-color": { type: "boolean", help: "no colour, even on a terminal (as NO_COLOR=1)" },
};

const helpOption: OptionSpecs = {
  help: { type: "boolean", short: "h", help: "show this help" },
};

function optionRows(options: OptionSpecs): (readonly [string, string])[] {
  return Object.entries(options).map(([name, spec]) => [`${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`, spec.help] as const);
}

/** Option rows as aligned help lines. */
export function optionLines(options: OptionSpecs, width?: number): string[] {
  const rows = optionRows(options);
  const w = width ?? Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, help]) => `  ${flag.padEnd(w)}  ${help}`);
}

/** The width of the flag column for these options. */
export function flagWidth(...specs: OptionSpecs[]): number {
  return Math.max(...specs.flatMap((o) => optionRows(o).map(([flag]) => flag.length)));
}

/** The command's help text: usage, what it does, its options, then the global options. */
export function helpText(command: Command): string {
  const own = { ...command.options, ...helpOption };
  const width = flagWidth(own, globalOptions);
  return [
    `Usage: eventwire ${command.name}${command.args ? " " + command.args : ""} [options]`,
    "",
    command.summary,
    "",
    command.details.trim(),
    "",
    "Options:",
    ...optionLines(own, width),
    "",
    "Global options (before or after the command):",
    ...optionLines(globalOptions, width),
    "",
  ].join("\n");
}

/** Every option a command accepts: its own, --help and the global ones. */
export function allOptions(command: Command): OptionSpecs {
  return { ...globalOptions, ...command.options, ...helpOption };
}

/** Parses a command's arguments; throws a usage error naming the problem. */
export function parseCommand(command: Command, args: readonly string[]): { values: OptionValues; positionals: string[]; help: boolean } {
  const options = allOptions(command);
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
    ]),
  );
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: config, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's messages run on with advice about "--"; the first sentence says it.
    const message = (error as Error).message.split("\n")[0]!.replace(/\. To specify .*$/, "");
    throw usageError(message, `Run "eventwire ${command.name} --help".`);
  }
  const help = parsed.values["help"] === true;
  if (!help) {
    const n = parsed.positionals.length;
    if (n < command.positionals.min) {
      throw usageError(`missing arguments: eventwire ${command.name} ${command.args}`, `Run "eventwire ${command.name} --help".`);
    }
    if (n > command.positionals.max) {
      throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[command.positionals.max])}`, `Run "eventwire ${command.name} --help".`);
    }
  }
  return { values: parsed.values as OptionValues, positionals: parsed.positionals, help };
}

/** A string option's value, if given. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A whole-number option's value, if given; a usage error when it is not a whole number in range. */
export function countOption(values: OptionValues, name: string, min = 1): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
    throw usageError(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** Reads all of standard input. */
export async function readStdin(io: Io): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Standard input as text: a usage error when it is not valid UTF-8 (never read lossily). */
export async function readStdinText(io: Io, what: string): Promise<string> {
  const bytes = await readStdin(io);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw usageError(`${what} is not valid UTF-8 text`);
  }
}
