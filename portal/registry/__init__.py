"""The DTSEN snapshot: households (KK) and their members, synthetic data,
the CSV import, and (later) the status lookup."""
