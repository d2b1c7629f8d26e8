"""The topic and payload schema: what is accepted, and what is malformed (dropped by the gateway)."""

import json

import pytest

from devices.adapters import LinliAdapter
from devices.schema import AccessEvent, AckPayload, MalformedMessage, ReadingEvent, StatusPayload, Topics


def test_topics_are_built_and_read_back():
    topics = Topics("linli")
    assert topics.cmd("YGHY", "gate-south-in", "abc12345") == "linli/YGHY/gate-south-in/cmd/abc12345"
    assert topics.device("YGHY", "smoke-b1", "status") == "linli/YGHY/smoke-b1/status"
    parsed = topics.parse("linli/YGHY/gate-south-in/ack/abc12345")
    assert (parsed.community, parsed.device, parsed.kind, parsed.command_id) == ("YGHY", "gate-south-in", "ack",
                                                                                 "abc12345")
    assert Topics("test/run-1").parse("test/run-1/YGHY/m1/event").device == "m1"


@pytest.mark.parametrize("topic", ["other/YGHY/g/event", "linli/YGHY/g/whatever", "linli/YGHY/g/ack",
                                   "linli/YGHY/g/event/extra", "linli/YG HY/g/event", "linli/YGHY"])
def test_topics_outside_the_schema_are_malformed(topic):
    with pytest.raises(MalformedMessage):
        Topics("linli").parse(topic)


def test_topic_segments_cannot_smuggle_wildcards():
    with pytest.raises(ValueError):
        Topics("linli").cmd("YGHY", "gate/#", "abc12345")


def test_the_linli_adapter_reads_every_inbound_kind():
    adapter = LinliAdapter()
    assert isinstance(adapter.decode("status", b'{"status":"offline"}'), StatusPayload)
    assert adapter.decode("ack", b'{"id":"abc12345","ok":true}') == AckPayload(id="abc12345", ok=True)
    reading = adapter.decode("event", json.dumps({"type": "reading", "id": "r1", "at": "2026-12-07T08:00:00+08:00",
                                                  "data": {"value": "12.5", "unit": "m3"}}).encode())
    assert isinstance(reading, ReadingEvent) and str(reading.data.value) == "12.5"
    access = adapter.decode("event", json.dumps({"type": "access", "id": "a1", "at": "2026-12-07T08:00:00Z",
                                                 "data": {"method": "code", "code": "12345678"}}).encode())
    assert isinstance(access, AccessEvent)
    assert adapter.decode("state", b'{"door":"closed"}').model_dump()["door"] == "closed"


@pytest.mark.parametrize("kind,payload", [
    ("event", b"not json"),
    ("event", b"\xff\xfe"),
    ("event", b'{"type":"reading","id":"r1","at":"2026-12-07T08:00:00Z","data":{"value":-1,"unit":"m3"}}'),
    ("event", b'{"type":"reading","id":"r1","at":"2026-12-07T08:00:00","data":{"value":1,"unit":"m3"}}'),  # naive
    ("event", b'{"type":"teleport","id":"x","at":"2026-12-07T08:00:00Z","data":{}}'),
    ("event", b'{"type":"alarm","id":"x","at":"2026-12-07T08:00:00Z","data":{"alarm":"ufo"}}'),
    ("status", b'{"status":"sleepy"}'),
    ("ack", b'{"id":"short","ok":true}'),
    ("ack", b'[1,2,3]'),
    ("cmd", b'{}'),
    ("event", b"{" + b" " * 20000 + b"}"),
])
def test_malformed_payloads_are_refused(kind, payload):
    with pytest.raises(MalformedMessage):
        LinliAdapter().decode(kind, payload)
