"""The staff back office (后台): server-rendered pages and a JSON API at /admin. Never imports bot."""
