"""The clauses a scenario page offers and quotes, cached per policy version and process.

The cache is content's (lms/content/clauses.py): `scenarios load` forgets it in the loading process
without content importing training. The training service and pages use these names from here.
"""

from lms.content.clauses import TTL, ClauseText, by_number, forget, of_policy, pickable

__all__ = ["TTL", "ClauseText", "by_number", "forget", "of_policy", "pickable"]
