"""Certificates: a PDF per pass for its owner, and a public page that verifies a code."""
