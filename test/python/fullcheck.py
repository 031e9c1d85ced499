"""Cross-language check of the all-types fixture (fixtures.full.v1.EverythingEvent),
run by test/codec/outside.test.ts with Debian's /usr/bin/python3 and python3-protobuf.

    python3 fullcheck.py --gen DIR < cases.jsonl > results.jsonl

--gen holds the Python code protoc generated from test/fixtures/proto (and the
well-known types). Each input line is {"bin": base64 of eventwire's payload bytes,
"json": eventwire's JSON of the payload fields}. For each, it

  * parses the bytes and re-encodes them (deterministic=True): they must be the
    same bytes (eventwire's encoding is canonical);
  * parses eventwire's JSON with json_format.ParseDict and encodes that: the
    same bytes again;

and writes one line {"dict": json_format.MessageToDict(..., preserving_proto_field_name=True,
including_default_value_fields=True)} for the TypeScript side to compare with
eventwire's JSON and to decode. It raises AssertionError on the first mismatch.
"""

import argparse
import base64
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gen", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.gen)
    from google.protobuf import json_format
    from fixtures.full.v1 import full_pb2

    for number, line in enumerate(sys.stdin):
        if not line.strip():
            continue
        case = json.loads(line)
        data = base64.b64decode(case["bin"])
        message = full_pb2.EverythingEvent.FromString(data)
        again = message.SerializeToString(deterministic=True)
        if again != data:
            raise AssertionError(f"case {number}: protobuf re-encodes eventwire's bytes differently:\n  {data.hex()}\n  {again.hex()}")
        parsed = json_format.ParseDict(case["json"], full_pb2.EverythingEvent())
        from_json = parsed.SerializeToString(deterministic=True)
        if from_json != data:
            raise AssertionError(f"case {number}: eventwire's JSON parses to other bytes:\n  {data.hex()}\n  {from_json.hex()}")
        as_dict = json_format.MessageToDict(message, preserving_proto_field_name=True, including_default_value_fields=True)
        print(json.dumps({"dict": as_dict}))


if __name__ == "__main__":
    main()
