"""The composition root: assembles the ASGI app, its background loops and the `linli` CLI. Nothing imports it."""
