"""Requests and decisions the policy requires: business use (5.1), media enquiries (5.2),
references (2.2, 2.3) and reports of misuse (4.5, 6.5)."""
