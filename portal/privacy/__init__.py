"""Data protection duties (issue 14 §5): retention, breach reports, backups."""
