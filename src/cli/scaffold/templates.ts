/** The files `eventwire init` writes: buf's configuration, ts-proto's options, a first `.proto`, the registry file and a tsconfig. */

/**
 * The ts-proto options eventwire needs, each with the reason it is needed
 * (written beside it in `buf.gen.yaml`). The first six are those of
 * eventwire's own `buf.gen.yaml`.
 */
export const TS_PROTO_OPTIONS: readonly { readonly option: string; readonly why: string }[] = [
  { option: "esModuleInterop=true", why: "imports its runtime packages the way Node's ES modules load them" },
  { option: "importSuffix=.js", why: "generated files import each other as ./x.js, as Node's ES modules require" },
  { option: "outputSchema=const", why: "writes protoMetadata, the descriptors createRegistry reads (field names, numbers, types)" },
  { option: "outputTypeAnnotations=static-only", why: "gives each message type its $type, the event type's name (without it: TS2741 Property '$type' is missing)" },
  { option: "outputJsonMethods=false", why: "eventwire writes and reads the JSON form itself; ts-proto's JSON methods would be dead code" },
  { option: "useReadonlyTypes=true", why: "events are frozen: readonly types make the compiler refuse a write that would fail at run time" },
  { option: "forceLong=bigint", why: "64-bit integers as bigint: exact beyond 2^53, where ts-proto's default number is not" },
];

/** Where the `.proto` files live, and where `npm run generate` writes ts-proto's output. */
export const PROTO_DIR = "proto";
export const GEN_DIR = "src/gen";
/** The registry file. */
export const REGISTRY_FILE = "src/events.ts";
/** The first event type's message name. */
export const FIRST_EVENT = "UserSignedUpEvent";

/** The folder of a package's `.proto` files (`acme.orders.v1` → `proto/acme/orders/v1`), as buf's PACKAGE_DIRECTORY_MATCH wants it. */
export function protoFile(protoPackage: string): string {
  return `${PROTO_DIR}/${protoPackage.split(".").join("/")}/events.proto`;
}

/** buf.yaml: the module under proto/, linted with buf's STANDARD rules plus comments on every message, field and enum. */
export function bufYaml(): string {
  return `# buf's configuration: the .proto files under ${PROTO_DIR}/, checked by \`npm run lint:proto\`
# (every message, field, enum and enum value needs a comment).
version: v2
modules:
  - path: ${PROTO_DIR}
lint:
  use:
    - STANDARD
    - COMMENT_MESSAGE
    - COMMENT_FIELD
    - COMMENT_ENUM
    - COMMENT_ENUM_VALUE
breaking:
  use:
    - WIRE_JSON
`;
}

/** buf.gen.yaml: ts-proto, from the project's own node_modules, with the options eventwire needs. */
export function bufGenYaml(): string {
  const width = Math.max(...TS_PROTO_OPTIONS.map((o) => o.option.length));
  const options = TS_PROTO_OPTIONS.map((o) => `      - ${o.option.padEnd(width)}  # ${o.why}`).join("\n");
  return `# \`npm run generate\`: ts-proto's TypeScript for the .proto files under ${PROTO_DIR}/, in ${GEN_DIR}/
# (rewritten on every run: do not edit it). eventwire needs every option below.
version: v2
clean: true
plugins:
  - local: ./node_modules/.bin/protoc-gen-ts_proto
    out: ${GEN_DIR}
    opt:
${options}
`;
}

/** The first `.proto`: a package and one documented event type, clean under buf lint and buf format. */
export function firstProto(protoPackage: string, project: string): string {
  return `syntax = "proto3";

// The events of ${project}. Each message is an event type, named on the wire
// by its short name. After a change, run \`npm run generate\`; register a new
// event type in ${REGISTRY_FILE}.
package ${protoPackage};

// Fired when a user signs up.
message ${FIRST_EVENT} {
  // Identifier of the new user.
  string user_id = 1;
  // Email address the user signed up with.
  string email = 2;
  // How many invitations the user may send.
  int32 invitations = 3;
  // Credit granted at sign-up, in minor units of its currency (cents): a
  // 64-bit integer, a bigint in TypeScript, exact beyond 2^53.
  int64 credit_minor = 4;
}
`;
}

/**
 * The registry file: the event types, the registry made from them, and their
 * union type. (Written line by line, so that no line of this module reads as
 * an import of its own.)
 */
export function registryFile(protoPackage: string): string {
  const generated = `./gen/${protoPackage.split(".").join("/")}/events.js`;
  return [
    "/**",
    " * The event types of this project, registered with eventwire. To add one:",
    ` * add a message to ${protoFile(protoPackage)}, run \`npm run generate\`,`,
    " * and add it to `eventTypes` below — one line.",
    " */",
    'import { createRegistry, type EventsOf } from "eventwire";',
    `import { protoMetadata, ${FIRST_EVENT} } from "${generated}";`,
    "",
    "/** The event types, one line each. */",
    `export const eventTypes = [${FIRST_EVENT}] as const;`,
    "",
    "/** Creates, encodes and decodes these events; give it to `connectRedis({ registry })`. */",
    "export const registry = createRegistry(eventTypes, { files: [protoMetadata] });",
    "",
    "/** Any of these events: a `switch` on its `eventType` is checked for exhaustiveness. */",
    "export type AppEvent = EventsOf<typeof eventTypes>;",
    "",
  ].join("\n");
}

/** A minimal tsconfig.json for Node's ES modules, written only when the project has none. */
export function tsconfigJson(): string {
  return (
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ["node"],
          rootDir: "src",
          outDir: "dist",
          sourceMap: true,
        },
        include: ["src"],
      },
      null,
      2,
    ) + "\n"
  );
}
