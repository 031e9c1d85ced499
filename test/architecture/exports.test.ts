// Every entry point's exports, by name, values and types apart: a change to
// the public surface changes this list, so it is made on purpose.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The package's entry points (package.json `exports`) and their sources. */
const entries = {
  eventwire: "src/index.ts",
  "eventwire/transport": "src/transport/index.ts",
  "eventwire/redis": "src/redis/index.ts",
  "eventwire/memory": "src/memory/index.ts",
  "eventwire/dynamic": "src/dynamic/index.ts",
  "eventwire/ui": "src/ui/index.ts",
} as const;

const CODEC = [
  "DecodeError",
  "EventRegistry",
  "EventValidationError",
  "EventwireError",
  "FieldType",
  "HEADERS_KEY",
  "Headers",
  "RegistryError",
  "SchemaConflictError",
  "TransportError",
  "breakingChanges",
  "createRegistry",
  "decodeDescriptorSet",
  "defaultDecodeOptions",
  "describeMessage",
  "describedEnums",
  "describedMessages",
  "descriptorSetFingerprint",
  "encodeDescriptorSet",
  "formatPythonFloat",
  "isDecodeError",
  "isEventwireError",
  "isOlderShape",
  "isSchemaConflictError",
  "pythonFloat",
  "pythonJsonDumps",
  "pythonJsonLoads",
  "type AnyMessageType",
  "type DecodeOptions",
  "type DecodeResult",
  "type DescribedEnum",
  "type DescribedField",
  "type DescribedFile",
  "type DescribedMessage",
  "type DescriptorSet",
  "type EnumDescriptorLike",
  "type EnumSchema",
  "type Event",
  "type EventBase",
  "type EventNamed",
  "type EventOf",
  "type EventsOf",
  "type EventwireErrorCode",
  "type FieldDescriptorLike",
  "type FieldSchema",
  "type JsonStyle",
  "type LongKind",
  "type MessageDescriptorLike",
  "type MessageSchema",
  "type MessageType",
  "type PayloadInit",
  "type PayloadOf",
  "type ProtoFile",
  "type PythonFloat",
  "type RegisteredType",
  "type RegistryOptions",
  "type ShortName",
  "type ValueSchema",
  "type WellKnownForm",
];

const TRANSPORT = [
  "BUS_PREFIX",
  "BUS_QUEUE",
  "Consumer",
  "DEFAULT_MAX_LENGTH",
  "DEFAULT_PREFIX",
  "DeadLetterKind",
  "DeadLetterQueue",
  "EventBus",
  "EventwireError",
  "LEANMQ_DEFAULT_CONSUMER",
  "Lifecycle",
  "MAX_PARTITIONS",
  "PARTITION_SEPARATOR",
  "PermanentError",
  "QueueBrowser",
  "RESERVED_NAMESPACE",
  "SchemaConflictError",
  "SchemaRegistry",
  "StreamTransport",
  "TraceHeaders",
  "TransportError",
  "consoleLogger",
  "correlation",
  "correlationIdOf",
  "defaultConsumerOptions",
  "defaultRetryPolicy",
  "defaultTelemetryOptions",
  "defaultTransportOptions",
  "isEventwireError",
  "isPermanentError",
  "isSchemaConflictError",
  "checkPartitionCount",
  "partitionCount",
  "partitionOf",
  "queueKeys",
  "schemaIndexKey",
  "schemaKey",
  "logging",
  "silentLogger",
  "timeout",
  "type AppendResult",
  "type BulkOptions",
  "type ClaimOne",
  "type ClaimResult",
  "type ConsumerInit",
  "type ConsumerOptions",
  "type ConsumerStats",
  "type DeadLetter",
  "type DeadLetterEvent",
  "type DeadLetterReason",
  "type DeliveredEntry",
  "type EntryFields",
  "type EntryFormat",
  "type EntryMetadata",
  "type EntryStore",
  "type EventBusOptions",
  "type ExpireEvent",
  "type Failure",
  "type Handler",
  "type HandlerContext",
  "type Handlers",
  "type KeyLayout",
  "type LifecycleEventName",
  "type LifecycleEvents",
  "type LifecycleListener",
  "type LifecycleSource",
  "type Logger",
  "type NewSchema",
  "type LoggingOptions",
  "type MeterProviderLike",
  "type Middleware",
  "type Next",
  "type Outgoing",
  "type OutgoingEntry",
  "type PartitionCount",
  "type PublishOptions",
  "type Published",
  "type QueueInfo",
  "type QueueKeys",
  "type RegisteredSchema",
  "type ReadFailureEvent",
  "type ReclaimEvent",
  "type ResetEvent",
  "type RetryEvent",
  "type RetryPolicy",
  "type RouteEntry",
  "type RouteResult",
  "type Routed",
  "type RouterOptions",
  "type RouterStats",
  "type SchemaAdded",
  "type SchemaMode",
  "type Selection",
  "type SkipPolicy",
  "type StoredEntry",
  "type StoredSchema",
  "type StreamEntry",
  "type StreamLimits",
  "type Subscription",
  "type TelemetryOptions",
  "type TracerProviderLike",
  "type TransportOptions",
  "type TrimEvent",
  "type TrimMode",
];

/** What each entry point exports: the transport's entry is re-exported by the two stores' entries, with their own additions. */
const expected: Record<keyof typeof entries, string[]> = {
  eventwire: CODEC,
  "eventwire/transport": TRANSPORT,
  "eventwire/redis": [
    ...TRANSPORT,
    "RedisStore",
    "RedisUnavailableError",
    "connectRedis",
    "defaultClusterNodes",
    "defaultRedisUrl",
    "openCluster",
    "openRedis",
    "parseClusterNodes",
    "redactUrl",
    "type ClusterConnection",
    "type OpenOptions",
    "type RedisClient",
    "type RedisConnection",
    "type RedisStoreOptions",
    "type RedisTransportOptions",
    "type ReplicaWait",
  ],
  "eventwire/memory": [...TRANSPORT, "MemoryStore", "createMemoryTransport", "type ConsumerInfo", "type GroupInfo", "type MemoryStoreOptions", "type MemoryTransportOptions", "type PendingInfo"],
  "eventwire/ui": ["createDashboard", "type DashboardHandler", "type DashboardOptions"],
  "eventwire/dynamic": ["descriptorSetTypes", "loadProtoTypes", "protoTypes", "type ProtoTypes", "type ProtoTypesOptions", "type RegisteredDescriptorSet"],
};

/** The exports of each entry point as the TypeScript compiler sees them: `Name` for a value, `type Name` for a type only. */
function exportsOf(): Record<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  assert.ok(config, "tsconfig.json cannot be read");
  const program = ts.createProgram(
    Object.values(entries).map((file) => join(root, file)),
    { ...config.options, noEmit: true },
  );
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const [name, file] of Object.entries(entries)) {
    const source = program.getSourceFile(join(root, file));
    assert.ok(source, `${file} is missing`);
    const module = checker.getSymbolAtLocation(source);
    assert.ok(module, `${file} is not a module`);
    out[name] = checker
      .getExportsOfModule(module)
      .map((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const typeOnly = (symbol.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
        return (target.flags & ts.SymbolFlags.Value) !== 0 && !typeOnly ? symbol.name : `type ${symbol.name}`;
      })
      .sort();
  }
  return out;
}

test("every entry point exports exactly the listed names", () => {
  const actual = exportsOf();
  for (const name of Object.keys(entries) as (keyof typeof entries)[]) {
    assert.deepEqual(actual[name], [...expected[name]].sort(), `the exports of ${name}`);
  }
});

test("package.json's exports are these entry points, each with its source, types and build", async () => {
  const pkg = (await import(join(root, "package.json"), { with: { type: "json" } })).default as { exports: Record<string, unknown> };
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json");
  assert.deepEqual(
    subpaths,
    Object.keys(entries).map((name) => (name === "eventwire" ? "." : "./" + name.slice("eventwire/".length))),
  );
  for (const [name, file] of Object.entries(entries)) {
    const subpath = name === "eventwire" ? "." : "./" + name.slice("eventwire/".length);
    const built = "./dist/" + file.replace(/\.ts$/, "");
    assert.deepEqual(pkg.exports[subpath], { "eventwire-source": "./" + file, types: built + ".d.ts", default: built + ".js" });
  }
});
