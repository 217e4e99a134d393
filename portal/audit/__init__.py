"""The audit log of staff actions (SECURITY.md LG3): append-only and
hash-chained. ``record()`` is how every staff action is written."""
