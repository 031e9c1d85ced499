"""Cross-language check of eventwire's golden vectors, run by
test/codec/python.test.ts with Debian's /usr/bin/python3 and python3-protobuf.

    python3 crosscheck.py --gen DIR --vectors DIR

--gen holds the Python code protoc generated from proto/. For every vector
pair <EventType>.bin / <EventType>.json it checks that

  * protobuf decodes the .bin as an EventEnvelope and its payload as the
    message event_type names, and re-encodes both (deterministic=True) to
    exactly the bytes of the file;
  * the .json holds the same values, keys in the same order (base fields,
    payload fields in .proto order, `_headers` when there are headers);
  * the seed's event system (modelled below) rebuilds the same event from
    json.loads of the .json.

It raises AssertionError on the first mismatch. On stdout it writes one JSON
object per line: {"case": "checked", ...} per vector, then the JSON texts the
seed's serialize_event + json.dumps writes, for the TypeScript side to decode.
"""

import argparse
import json
import math
import pathlib
import sys
import time


from seed_events import Event, deserialize_event, serialize_event


# --- Checks -----------------------------------------------------------------


def plain(message):
    """A message as a dict by .proto field names, in .proto order."""
    out = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        repeated = field.label == field.LABEL_REPEATED
        if field.type == field.TYPE_MESSAGE:
            out[field.name] = [plain(m) for m in value] if repeated else plain(value)
        else:
            out[field.name] = list(value) if repeated else value
    return out


def check_equal(what, got, expected):
    if got != expected:
        raise AssertionError(f"{what}:\n  got      {got!r}\n  expected {expected!r}")


def check_vector(path_bin, path_json, envelope_pb2, events_pb2, started):
    data = path_bin.read_bytes()
    env = envelope_pb2.EventEnvelope.FromString(data)
    name = path_bin.stem
    check_equal(f"{name}: event_type", env.event_type, name)
    payload_type = events_pb2.DESCRIPTOR.message_types_by_name[env.event_type]
    payload = getattr(events_pb2, payload_type.name).FromString(env.payload)

    # Binary: the same bytes from protobuf's own deterministic serialization.
    payload_bytes = payload.SerializeToString(deterministic=True)
    check_equal(f"{name}: payload bytes", payload_bytes, env.payload)
    rebuilt = envelope_pb2.EventEnvelope(
        event_id=env.event_id,
        timestamp=env.timestamp,
        event_type=env.event_type,
        payload=payload_bytes,
        headers=dict(env.headers),
    )
    check_equal(f"{name}: envelope bytes", rebuilt.SerializeToString(deterministic=True), data)

    # JSON: the binary's values, in the flat shape.
    text = path_json.read_text(encoding="utf-8")
    obj = json.loads(text)
    expected = {"event_id": env.event_id, "timestamp": env.timestamp, "event_type": env.event_type}
    expected.update(plain(payload))
    if env.headers:
        expected["_headers"] = dict(env.headers)
    check_equal(f"{name}: JSON values", obj, expected)
    check_equal(f"{name}: JSON key order", list(obj), list(expected))

    # The seed's event system reads our JSON.
    event = deserialize_event(json.loads(text))
    if event is None:
        raise AssertionError(f"{name}: deserialize_event returned None")
    check_equal(f"{name}: seed class", type(event).__name__, env.event_type)
    check_equal(f"{name}: seed event_id", event.event_id, env.event_id)
    check_equal(f"{name}: seed event_type", event.event_type, env.event_type)
    for field, value in plain(payload).items():
        check_equal(f"{name}: seed {field}", getattr(event, field), value)
    # The seed's subclass from_dict drops the timestamp (a fresh one is taken);
    # its base class's from_dict keeps it.
    if not started <= event.timestamp <= time.time():
        raise AssertionError(f"{name}: the seed's from_dict should stamp a fresh timestamp, got {event.timestamp}")
    check_equal(f"{name}: seed Event.from_dict timestamp", Event.from_dict(obj).timestamp, env.timestamp)
    check_equal(f"{name}: seed serialize_event keys", list(serialize_event(event)), [k for k in expected if k != "_headers"])
    return obj


def emit(case, event_type, text):
    print(json.dumps({"case": case, "event_type": event_type, "json": text}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gen", required=True)
    parser.add_argument("--vectors", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.gen)
    from eventwire.envelope.v1 import envelope_pb2
    from eventwire.shop.v1 import events_pb2

    started = time.time()
    vectors = pathlib.Path(args.vectors)
    bins = sorted(vectors.glob("*.bin"))
    if not bins:
        raise AssertionError(f"no .bin vectors in {vectors}")
    check_equal("unknown type", deserialize_event({"event_type": "RefundIssuedEvent"}), None)
    check_equal("missing type", deserialize_event({}), None)

    objs = {}
    for path_bin in bins:
        obj = check_vector(path_bin, path_bin.with_suffix(".json"), envelope_pb2, events_pb2, started)
        objs[path_bin.stem] = obj
        print(json.dumps({"case": "checked", "event_type": path_bin.stem, "bytes": path_bin.stat().st_size}), flush=True)

    # What the seed writes, for the TypeScript side to read.
    for name, obj in objs.items():
        event = deserialize_event(obj)
        emit("seed-fresh-timestamp", name, json.dumps(serialize_event(event)))
        event.timestamp = obj["timestamp"]
        emit("seed-timestamp-kept", name, json.dumps(serialize_event(event)))

    order = deserialize_event(objs["OrderCreatedEvent"])
    order.timestamp = objs["OrderCreatedEvent"]["timestamp"]
    order.total = math.nan
    order.items[0]["price"] = math.inf
    order.items[1]["price"] = -math.inf
    emit("seed-non-finite", "OrderCreatedEvent", json.dumps(serialize_event(order)))

    payment = deserialize_event(objs["PaymentProcessedEvent"])
    payment.timestamp = objs["PaymentProcessedEvent"]["timestamp"]
    payment.amount = 80
    emit("seed-int-amount", "PaymentProcessedEvent", json.dumps(serialize_event(payment)))


if __name__ == "__main__":
    main()
