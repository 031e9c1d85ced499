"""The codec against the golden vectors (test/vectors) and against the
TypeScript side's output for the same events: the same bytes in binary, the
same text in both JSON styles, the same LeanMQ entries."""

import json
import math
import pathlib

import pytest

from conftest import VECTORS
from eventwire import DecodeError, EventValidationError, RegistryError, Registry
from eventwire.transport.entry import encode_entry
from eventwire.transport.metadata import EntryMetadata

SHOP_VECTORS = sorted(VECTORS.glob("*.bin"))
FULL_VECTORS = sorted((VECTORS / "full").glob("*.bin"))


def test_there_are_vectors_of_both_kinds():
    assert [p.stem for p in SHOP_VECTORS] == ["OrderCreatedEvent", "OrderShippedEvent", "PaymentProcessedEvent"]
    assert len(FULL_VECTORS) >= 4


def _check_vector(registry, path):
    data = path.read_bytes()
    text = path.with_suffix(".json").read_text(encoding="utf-8")
    event = registry.from_binary(data)
    assert registry.to_binary(event) == data, "binary → event → binary"
    assert registry.to_json(event) == text, "binary → event → JSON"
    again = registry.from_json(text)
    assert registry.to_binary(again) == data, "JSON → event → binary"
    assert registry.to_json(again) == text, "JSON → event → JSON"
    assert registry.to_binary(registry.from_json(text.encode("utf-8"))) == data, "JSON bytes → event → binary"
    return event


@pytest.mark.parametrize("path", SHOP_VECTORS, ids=lambda p: p.stem)
def test_shop_vectors_byte_for_byte(shop_registry, path):
    event = _check_vector(shop_registry, path)
    assert event.event_type == path.stem
    assert event.headers, "every shop vector has headers"


@pytest.mark.parametrize("path", FULL_VECTORS, ids=lambda p: p.stem)
def test_all_types_vectors_byte_for_byte(full_registry, path):
    _check_vector(full_registry, path)


def test_the_order_vector_decodes_to_its_values(shop_registry):
    event = shop_registry.from_binary((VECTORS / "OrderCreatedEvent.bin").read_bytes())
    assert event.event_id == "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a"
    assert event.timestamp == 1732700000.123456
    assert event.payload.user_id == "user-Zoë"
    assert [(i.name, i.quantity) for i in event.payload.items] == [("Café crème ☕", 2), ("Notebook", 1), ("Sticker 🐙", 3)]
    assert event.headers["source-service"] == "order-service"


def _registry(shop_registry, full_registry, name):
    return shop_registry if name == "shop" else full_registry


def test_same_output_as_typescript_for_every_case(shop_registry, full_registry, ts_cases):
    meta = EntryMetadata("0b6e7f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b", 1732700000.5, 60)
    for case in ts_cases:
        registry = _registry(shop_registry, full_registry, case["registry"])
        event = registry.from_binary(case["bin"])
        what = case["name"]
        assert registry.to_binary(event) == case["bin"], what
        assert registry.to_json(event) == case["compact"], what
        assert registry.to_json(event, style="python") == case["python"], what
        fields = encode_entry(registry, event, "json", meta)
        assert fields[1].decode("utf-8") == case["entry"], what
        if "largest float" not in what:  # (Python's protobuf refuses to read back 3.4028235e+38 as a float)
            assert registry.to_binary(registry.from_json(case["compact"])) == case["bin"], what
            assert registry.to_binary(registry.from_json(case["python"])) == case["bin"], what


def test_the_random_cases_cover_the_hard_values(ts_cases):
    texts = " ".join(c["python"] for c in ts_cases if c["name"].startswith("random"))
    for needle in ("NaN", "Infinity", "e-", "e+", "\\ud8", ".0,"):
        assert needle in texts, needle


def test_the_seed_reads_the_dict_and_the_registry_reads_the_seed(shop_registry):
    import seed_events

    event = shop_registry.from_binary((VECTORS / "OrderCreatedEvent.bin").read_bytes())
    as_dict = shop_registry.to_dict(event)
    assert list(as_dict)[:3] == ["event_id", "timestamp", "event_type"]
    seed = seed_events.deserialize_event(as_dict)
    assert type(seed).__name__ == "OrderCreatedEvent"
    assert seed.order_id == "order-7f3a" and seed.total == 79.46 and seed.items[2]["name"] == "Sticker 🐙"
    back = shop_registry.from_dict(seed_events.serialize_event(seed))
    assert back.event_id == event.event_id
    assert back.payload == event.payload
    # the seed's text, as LeanMQ stores it, reads too
    assert shop_registry.from_json(json.dumps(seed_events.serialize_event(seed))).payload == event.payload


def test_create_fills_in_the_base_fields_and_checks_values(shop_registry):
    event = shop_registry.create("OrderShippedEvent", {"order_id": "o-1", "tracking_number": "T", "carrier": "UPS"}, headers={"correlation-id": "c"})
    assert len(event.event_id) == 36 and event.timestamp > 1.7e9
    assert shop_registry.from_binary(shop_registry.to_binary(event)) == event
    assert shop_registry.from_json(shop_registry.to_json(event, style="python")) == event
    with pytest.raises(EventValidationError) as error:
        shop_registry.create("OrderShippedEvent", {"order_id": 5})
    assert error.value.code == "invalid-value"
    with pytest.raises(EventValidationError):
        shop_registry.create("OrderShippedEvent", {"no_such_field": "x"})
    with pytest.raises(EventValidationError) as error:
        shop_registry.create("OrderShippedEvent", {}, event_id="42")
    assert error.value.code == "invalid-event-id"
    with pytest.raises(EventValidationError) as error:
        shop_registry.create("RefundIssuedEvent", {})
    assert error.value.code == "unknown-event-type"


def test_full_names_resolve_too(shop_registry):
    text = (VECTORS / "OrderShippedEvent.json").read_text(encoding="utf-8").replace('"OrderShippedEvent"', '"eventwire.shop.v1.OrderShippedEvent"')
    assert shop_registry.from_json(text).event_type == "OrderShippedEvent"


@pytest.mark.parametrize(
    "text, code, path",
    [
        ("{", "invalid-json", ""),
        ("[]", "invalid-value", ""),
        ('{"event_id": "42", "timestamp": 1.5, "event_type": "OrderCreatedEvent"}', "invalid-event-id", "event_id"),
        ('{"timestamp": 1.5, "event_type": "OrderCreatedEvent"}', "missing-field", "event_id"),
        ('{"event_id": "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a", "event_type": "OrderCreatedEvent"}', "missing-field", "timestamp"),
        ('{"event_id": "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a", "timestamp": NaN, "event_type": "OrderCreatedEvent"}', "invalid-timestamp", "timestamp"),
        ('{"event_id": "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a", "timestamp": 1.5, "event_type": "RefundIssuedEvent"}', "unknown-event-type", "event_type"),
        ('{"event_id": "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a", "timestamp": 1.5, "event_type": "OrderCreatedEvent", "total": "lots"}', "invalid-value", ""),
    ],
)
def test_bad_json_is_a_typed_error(shop_registry, text, code, path):
    with pytest.raises(DecodeError) as error:
        shop_registry.from_json(text)
    assert (error.value.code, error.value.path) == (code, path)


def test_bad_binary_is_a_typed_error(shop_registry):
    good = (VECTORS / "OrderCreatedEvent.bin").read_bytes()
    for data, code in [(good[:-3], "malformed-binary"), (b"\xff\xff\xff", "malformed-binary"), (b"", "missing-field")]:
        with pytest.raises(DecodeError) as error:
            shop_registry.from_binary(data)
        assert error.value.code == code, data
    small = Registry(list(shop_registry._classes.values()), max_bytes=100)
    with pytest.raises(DecodeError) as error:
        small.from_binary(good)
    assert error.value.code == "too-large"


def test_unknown_fields_survive_both_forms(shop_registry):
    event = shop_registry.from_binary((VECTORS / "OrderShippedEvent.bin").read_bytes())
    newer = type(event.payload)()
    newer.CopyFrom(event.payload)
    newer.MergeFromString(b"\xa2\x06\x05later")  # field 100, a string the schema does not know
    import dataclasses

    with_unknown = dataclasses.replace(event, payload=newer)
    text = shop_registry.to_json(with_unknown)
    assert '"_unknown_fields":"ogYFbGF0ZXI="' in text
    again = shop_registry.from_json(text)
    assert shop_registry.to_binary(again) == shop_registry.to_binary(with_unknown)
    assert b"\xa2\x06\x05later" in shop_registry.to_binary(again)


def test_keys_a_newer_producer_adds_are_kept(shop_registry):
    text = (VECTORS / "OrderShippedEvent.json").read_text(encoding="utf-8")
    # as the TypeScript side writes them: after the payload's fields, before the headers
    newer = text.replace(',"_headers":', ',"priority":"high","_headers":')
    event = shop_registry.from_json(newer)
    assert event.extra == {"priority": "high"}
    assert shop_registry.to_json(event) == newer
    # a newer producer's keys at the end of its text are read and written back in that order too
    assert shop_registry.to_json(shop_registry.from_json(text[:-1] + ',"priority":"high"}')) == newer


def test_keys_a_newer_producer_adds_inside_messages_are_kept(shop_registry):
    text = (VECTORS / "OrderCreatedEvent.json").read_text(encoding="utf-8")
    newer = text.replace('"quantity":1}', '"quantity":1,"gift_wrap":true,"note":{"to":"Zoë"}}')
    assert newer != text
    event = shop_registry.from_json(newer)
    assert dict(event.nested_extra) == {(("items", 1),): {"gift_wrap": True, "note": {"to": "Zoë"}}}
    assert shop_registry.to_json(event) == newer
    assert shop_registry.to_binary(event) == (VECTORS / "OrderCreatedEvent.bin").read_bytes()


def test_a_registry_refuses_two_types_of_one_name_and_reserved_field_names(fixtures_gen):
    from fixtures.billing.v1 import events_pb2 as billing
    from fixtures.misc.v1 import misc_pb2
    from eventwire.shop.v1 import events_pb2 as shop

    with pytest.raises(RegistryError) as error:
        Registry([shop.OrderCreatedEvent, billing.OrderCreatedEvent])
    assert error.value.code == "duplicate-event-type"
    for reserved in (misc_pb2.WithEventId, misc_pb2.WithTimestamp, misc_pb2.WithEventType, misc_pb2.WithUnderscore):
        with pytest.raises(RegistryError) as error:
            Registry([reserved])
        assert error.value.code == "invalid-event-type", reserved
    with pytest.raises(RegistryError):
        Registry([object])


def test_floats_print_as_each_side_prints_them(shop_registry):
    event = shop_registry.create("PaymentProcessedEvent", {"amount": 20.0, "payment_id": "p"}, timestamp=1700000000.0,
                                 event_id="5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a")
    assert '"amount":20,' in shop_registry.to_json(event)
    assert '"amount": 20.0,' in shop_registry.to_json(event, style="python")
    assert '"timestamp": 1700000000.0,' in shop_registry.to_json(event, style="python")
    nan = shop_registry.create("PaymentProcessedEvent", {"amount": math.nan}, event_id=event.event_id, timestamp=1.5)
    assert '"amount":"NaN"' in shop_registry.to_json(nan)
    assert '"amount": NaN' in shop_registry.to_json(nan, style="python")
    assert math.isnan(shop_registry.from_json(shop_registry.to_json(nan, style="python")).payload.amount)
