/** `eventwire config`: the settings in effect — Redis (a server or a cluster), prefix, event type folders — and where each comes from. */
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
Each setting is taken from the first of: the command line (--redis or
--cluster, --prefix, --proto), the environment (REDIS_URL or
REDIS_CLUSTER_NODES, EVENTWIRE_PREFIX, EVENTWIRE_PROTO), the config file,
the built-in default (redis://127.0.0.1:6379, mq:, ./proto when there is
one). --proto adds to the folders found otherwise.

Redis is one server (--redis URL) or a Redis Cluster (--cluster
host:port,host:port: a few of its nodes, from which the others are
learnt); giving both on the command line is an error. In the environment
REDIS_URL wins over REDIS_CLUSTER_NODES, as in connectRedis.

The config file is ${CONFIG_FILE}, the nearest one in the working directory
or a folder above it (or --config FILE). A JSON object, every key optional:
  {
    "redis": "redis://cache.internal:6379/2",
    "prefix": "events:",
    "proto": ["proto", "../contracts/proto"]
  }
"cluster": ["10.0.0.1:7000", "10.0.0.2:7000"] (or one string separated by
commas) instead of "redis" names a cluster's seed nodes. Paths in "proto"
are relative to the file's folder. An unknown key is an error, so that a
misspelt one does not pass unnoticed.

--json prints {"redis", "cluster", "prefix", "proto", "config_file"}, each
setting as {"value", "source", "from"} (source: option, environment,
config, default); of "redis" and "cluster", the one not in effect is null.

Examples:
  eventwire config
  EVENTWIRE_PREFIX=events: eventwire config --json | jq -r .prefix.value
  eventwire config --cluster 127.0.0.1:7000,127.0.0.1:7001`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values, session, io, paint }) {
    const s = session.settings;
    const redis = s.redis === undefined ? null : { ...s.redis, value: redactUrl(s.redis.value) };
    const cluster = s.cluster === undefined ? null : { ...s.cluster, value: s.cluster.value.map(redactUrl) };
    if (values["json"]) {
      io.stdout.write(json({ redis, cluster, prefix: s.prefix, proto: s.proto, config_file: s.configFile ?? null }));
      return ExitCode.ok;
    }
    const rows = [
      redis !== null ? ["redis", redis.value, redis.from] : ["cluster", cluster!.value.join(","), cluster!.from],
      ["prefix", s.prefix.value, s.prefix.from],
      ...(s.proto.length === 0 ? [["proto", "(none)", "-"]] : s.proto.map((p) => ["proto", p.value, p.from])),
    ];
    io.stdout.write(table(["SETTING", "VALUE", "FROM"], rows, [], paint.bold));
    io.stdout.write(`config file: ${s.configFile ?? `none (no ${CONFIG_FILE} here or above)`}\n`);
    return ExitCode.ok;
  },
};
