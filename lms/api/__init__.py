"""A read-only JSON API over the dashboards' figures, with personal tokens (issue 6)."""
