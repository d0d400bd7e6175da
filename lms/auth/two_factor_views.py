"""PLACEHOLDER for the two-factor pages of issue 16."""
