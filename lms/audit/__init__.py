"""The audit log: append (`record`, `record_many`, `record_request`), check the chain (`verify`) and its anchors."""

from lms.audit.chain import BrokenLink, verify
from lms.audit.log import record, record_all, record_many, record_request

__all__ = ["BrokenLink", "record", "record_all", "record_many", "record_request", "verify"]
