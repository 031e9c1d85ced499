// The Debian packages that eventwire's tests, benchmarks and tools use beyond
// Node and npm: one line per package. `scripts/provision.mjs` checks each one
// and installs what is missing (it runs before `npm test` and in `.ci/run`).
//
// Each need has:
//   package  the Debian package that provides it;
//   one check:
//     command  a program on PATH (or an absolute path) that must be executable,
//     python   a module that Debian's /usr/bin/python3 must import,
//     file     a file that must exist (an absolute path);
//   serves   what it is for, in a short phrase.

/** @type {readonly import("./provision.mjs").Need[]} */
export default [
  { package: "redis-server", command: "redis-server", serves: "the Redis tests, which start their own servers on free loopback ports" },
  { package: "redis-tools", command: "redis-benchmark", serves: "`npm run bench` (the redis-benchmark XADD ceiling), and redis-cli, which joins the Redis Cluster tests' nodes (test/support/cluster.ts)" },
  { package: "protobuf-compiler", command: "protoc", serves: "`npm run generate` (protoc's Python plugin, for python/gen/) and the cross-language tests" },
  { package: "openssl", command: "openssl", serves: "the TLS test, which makes its certificate" },
  { package: "python3", command: "/usr/bin/python3", serves: "the cross-language and LeanMQ tests, which run Debian's Python" },
  { package: "python3-protobuf", python: "google.protobuf", serves: "the cross-language tests: Python re-encodes the golden vectors" },
  { package: "libprotobuf-dev", file: "/usr/include/google/protobuf/timestamp.proto", serves: "the cross-language tests: the well-known types' .proto files, for protoc and protobufjs" },
  { package: "python3-redis", python: "redis", serves: "the LeanMQ tests and the Python package (python/): Python shares queues with eventwire" },
  { package: "python3-pytest", python: "pytest", serves: "the Python package's tests (python/tests), which npm test runs" },
  { package: "python3-pip", command: "/usr/bin/pip3", serves: "the Python package's test that builds its wheel, as `pip install ./python` does" },
  { package: "python3-setuptools", python: "setuptools", serves: "building the Python package (its pyproject.toml's build backend)" },
  { package: "python3-wheel", python: "wheel", serves: "building the Python package's wheel" },
  { package: "golang-go", command: "go", serves: "the Go check of the contract: Go decodes and re-encodes every golden vector" },
  { package: "protoc-gen-go", command: "protoc-gen-go", serves: "`npm run generate`: the Go code of the contract (buf.gen.go.yaml), and the Go check's fixtures" },
  { package: "golang-google-protobuf-dev", file: "/usr/share/gocode/src/google.golang.org/protobuf/proto/encode.go", serves: "the Go check: Go's protobuf runtime, without fetching modules" },
  { package: "chromium", command: "/usr/bin/chromium", serves: "the dashboard's browser tests, driven by playwright-core" },
  { package: "bsdutils", command: "script", serves: "the CLI's colour test, which runs it on a terminal" },
];
