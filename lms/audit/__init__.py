"""The audit log: append (`record`, `record_many`, `record_request`) and check the chain (`verify`)."""

from lms.audit.log import BrokenLink, record, record_all, record_many, record_request, verify

__all__ = ["BrokenLink", "record", "record_all", "record_many", "record_request", "verify"]
