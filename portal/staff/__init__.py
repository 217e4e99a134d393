"""Staff accounts (village operators, case handlers, supervisors, admins)."""
