"""Paying bills (缴费): payment orders, the one settling service, receipts, the ledger, refunds and payment
providers (WeChat Pay v3, the sandbox). Bills themselves are workflows/billing."""
