/** `eventwire config`: the settings in effect — Redis, prefix, event type folders — and where each comes from. */
import { redactUrl } from "../../redis/index.js";
import type { Command } from "../command.js";
import { ExitCode } from "../errors.js";
import { json, table } from "../output.js";
import { CONFIG_FILE } from "../settings.js";

export const config: Command = {
  name: "config",
  summary: "Show the settings in effect and where each comes from.",
  args: "",
  details: `
Each setting is taken from the first of: the command line (--redis, --prefix,
--proto), the environment (REDIS_URL, EVENTWIRE_PREFIX, EVENTWIRE_PROTO), the
config file, the built-in default (redis://127.0.0.1:6379, mq:, ./proto when
there is one). --proto adds to the folders found otherwise.

The config file is ${CONFIG_FILE}, the nearest one in the working directory
or a folder above it (or --config FILE). A JSON object, every key optional:
  {
    "redis": "redis://cache.internal:6379/2",
    "prefix": "events:",
    "proto": ["proto", "../contracts/proto"]
  }
Paths in "proto" are relative to the file's folder. An unknown key is an
error, so that a misspelt one does not pass unnoticed.

--json prints {"redis", "prefix", "proto", "config_file"}, each setting as
{"value", "source", "from"} (source: option, environment, config, default).

Examples:
  eventwire config
  EVENTWIRE_PREFIX=events: eventwire config --json | jq -r .prefix.value`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values, session, io, paint }) {
    const s = session.settings;
    const redis = { ...s.redis, value: redactUrl(s.redis.value) };
    if (values["json"]) {
      io.stdout.write(json({ redis, prefix: s.prefix, proto: s.proto, config_file: s.configFile ?? null }));
      return ExitCode.ok;
    }
    const rows = [
      ["redis", redis.value, redis.from],
      ["prefix", s.prefix.value, s.prefix.from],
      ...(s.proto.length === 0 ? [["proto", "(none)", "-"]] : s.proto.map((p) => ["proto", p.value, p.from])),
    ];
    io.stdout.write(table(["SETTING", "VALUE", "FROM"], rows, [], paint.bold));
    io.stdout.write(`config file: ${s.configFile ?? `none (no ${CONFIG_FILE} here or above)`}\n`);
    return ExitCode.ok;
  },
};
