"""The mail outbox: queue in the caller's transaction, claim, send, retry, dead letters."""
