"""Commands: report (compliance, follow-up, verify)."""
