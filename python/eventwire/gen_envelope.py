"""The envelope's generated message class, under one name for the codec."""

from eventwire.envelope.v1.envelope_pb2 import EventEnvelope

__all__ = ["EventEnvelope"]
