"""收费 (finance) pages: fee items and prices, bill runs with a preview before commit, bills and arrears by building,
offline payments, payments and printable receipts, items for finance; xlsx export of each list."""
