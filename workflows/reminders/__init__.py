"""催缴 reminders: who owes past their due date hears about it, politely and rarely (docs/billing.md)."""
