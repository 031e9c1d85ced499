// Writes the golden vectors, test/vectors/<EventType>.bin and .json, from
// the fixed inputs in test/vectors/inputs.ts, and the all-types vectors,
// test/vectors/full/<case>.bin and .json, from test/vectors/full/inputs.ts.
//
//   npm run vectors
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fullVectorEvents, fullVectorFiles } from "../test/vectors/full/inputs.js";
import { vectorEvents, vectorFiles } from "../test/vectors/inputs.js";

const dir = fileURLToPath(new URL("../test/vectors/", import.meta.url));

for (const event of vectorEvents()) {
  const { bin, json } = vectorFiles(event);
  writeFileSync(`${dir}${event.eventType}.bin`, bin);
  writeFileSync(`${dir}${event.eventType}.json`, json);
  console.log(`${event.eventType}: ${bin.length} bytes binary, ${Buffer.byteLength(json)} bytes JSON`);
}

for (const [name, event] of Object.entries(fullVectorEvents())) {
  const { bin, json } = fullVectorFiles(event);
  writeFileSync(`${dir}full/${name}.bin`, bin);
  writeFileSync(`${dir}full/${name}.json`, json);
  console.log(`full/${name}: ${bin.length} bytes binary, ${Buffer.byteLength(json)} bytes JSON`);
}
