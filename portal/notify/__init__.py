"""Notifications: the outbox's delivery to residents by email and SMS, and
the answers to their inbound SMS (issue 11 §5-6)."""
