"""Signing in and out, setting passwords, and how long a session lasts."""
