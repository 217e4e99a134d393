"""portal.tickets.workflow's survivors of mutation testing (docs/testing.md)."""
