/** `eventwire decode` and `eventwire encode`: between an event's JSON and its binary envelope. */
import { isDecodeError } from "../../index.js";
import { readStdin, readStdinText, type Command, type OptionSpecs } from "../command.js";
import { json } from "../output.js";
import { CliError, ExitCode, unknownTypeHint, usageError, withoutPath } from "../errors.js";
import { eventFromJson } from "../event-input.js";

const base64Option: OptionSpecs = {
  base64: { type: "boolean", help: "the binary side is base64 text instead of raw bytes" },
};

export const decode: Command = {
  name: "decode",
  summary: "Binary EventEnvelope on stdin → the event's JSON on stdout.",
  args: "",
  details: `
The input is the protobuf EventEnvelope eventwire writes (a binary entry's
"envelope" field, or the output of "eventwire encode"); the output is the
event in eventwire's JSON form, on one line (--json changes nothing). Malformed input is refused with
the codec's reason and the field at fault.

Examples:
  eventwire decode < order.bin
  echo CiQ… | eventwire decode --base64`,
  options: { ...base64Option },
  positionals: { min: 0, max: 0 },
  async run({ values, session, io }) {
    if (io.stdin.isTTY) throw usageError("no input: pipe a binary EventEnvelope into eventwire decode", "For example: eventwire decode < event.bin");
    let bytes: Uint8Array = await readStdin(io);
    if (values["base64"]) {
      const text = Buffer.from(bytes).toString("latin1").replace(/\s+/g, "");
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw usageError("the input is not base64 text");
      bytes = Buffer.from(text, "base64");
    }
    if (bytes.length === 0) throw usageError("no input: standard input was empty", "Pipe a binary EventEnvelope in, e.g. eventwire encode OrderShippedEvent < e.json | eventwire decode");
    const registry = await session.registry();
    let text: string;
    try {
      text = registry.toJson(registry.fromBinary(bytes));
    } catch (error) {
      if (isDecodeError(error)) {
        if (error.code === "unknown-event-type") throw new CliError(withoutPath(error), ExitCode.usage, unknownTypeHint(registry.names), { cause: error });
        throw usageError(`the input is not an EventEnvelope eventwire can read (${error.code}): ${error.message}`);
      }
      throw error;
    }
    io.stdout.write(text + "\n");
    return ExitCode.ok;
  },
};

export const encode: Command = {
  name: "encode",
  summary: "An event's JSON on stdin → its binary EventEnvelope on stdout.",
  args: "[EventType]",
  details: `
The input is the event's fields as JSON (by .proto or JSON name), or the
whole JSON form "eventwire decode" and "eventwire tail" print; event_id and
timestamp are filled in unless given. The event type is the argument, or the
input's event_type. Values are checked as "eventwire publish" checks them.
The output is canonical: the same event always gives the same bytes.
--json prints {"event_type", "event_id", "bytes", "base64"} instead.

Examples:
  echo '{"order_id": "order-1", "carrier": "UPS"}' | eventwire encode OrderShippedEvent > shipped.bin
  eventwire decode < shipped.bin | eventwire encode | cmp - shipped.bin`,
  options: { ...base64Option },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals, session, io }) {
    if (io.stdout.isTTY && !values["base64"] && !values["json"]) {
      throw usageError("the binary output would garble the terminal", "Redirect it to a file or a pipe, or add --base64.");
    }
    if (io.stdin.isTTY) io.stderr.write("eventwire: reading the event's JSON from the terminal; end it with Ctrl-D\n");
    const input = await readStdinText(io, "the input");
    if (input.trim() === "") throw usageError("no input: standard input was empty", `Pipe the event's JSON in, e.g. echo '{"order_id": "o-1"}' | eventwire encode OrderShippedEvent`);
    const registry = await session.registry();
    const event = eventFromJson(registry, input, positionals[0], "the input");
    const bytes = registry.toBinary(event);
    if (values["json"]) io.stdout.write(json({ event_type: event.eventType, event_id: event.eventId, bytes: bytes.length, base64: Buffer.from(bytes).toString("base64") }));
    else io.stdout.write(values["base64"] ? Buffer.from(bytes).toString("base64") + "\n" : bytes);
    return ExitCode.ok;
  },
};
