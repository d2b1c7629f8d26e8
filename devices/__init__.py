"""Doors, gates, visitor passes, meters and alarms over MQTT (adapters in devices/mqtt/, vendor mappings beside them).

Not built yet: it arrives with its own issue. Until then the bot answers device questions honestly and hands over.
"""
