"""Prometheus metrics of the WeChat channel (served at /metrics)."""

from prometheus_client import Counter

RECEIVED = Counter("linli_wechat_messages_received_total", "Owner messages and events received", ["type"])
REPLIES = Counter("linli_wechat_replies_total", "Replies by way: passive XML or async (customer-service)", ["way"])
DEDUP_HITS = Counter("linli_wechat_dedup_hits_total", "Retried deliveries answered without processing again")
REFUSED = Counter("linli_wechat_refused_total", "Webhook requests refused", ["reason"])
OUTBOX = Counter("linli_wechat_outbox_total", "Outbox deliveries to WeChat by result", ["result"])
REPLAYED = Counter("linli_wechat_replayed_total", "Messages queued during a state store outage and replayed")
