"""Staff records kept in line with the trust's staff list: the CSV import (CLI and admin page)."""
