"""积分: points for paying on time, a ledger, rewards owners redeem in chat (docs/billing.md)."""
