"""The content library for trust leads: clause coverage, every scenario in full, contests."""
