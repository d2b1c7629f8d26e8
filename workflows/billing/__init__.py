"""Billing and payments (缴费): fee items, bills, orders, settling, receipts."""
