"""The domain core and system of record: models, services, state machines, the outbox, settings, the database.

Nothing here imports bot, backoffice, knowledge, devices or linli.
"""
