"""The audit log: append (`record`, `record_request`) and check the chain (`verify`)."""

from lms.audit.log import BrokenLink, record, record_request, verify

__all__ = ["BrokenLink", "record", "record_request", "verify"]
