"""Logical identities of findings, stable when lines move.

A fingerprint is the rule id, the component the finding is about (a table,
a form, a step, a web resource, a file) and what was found, hashed. It never
includes a line number, so moving code up or down or re-exporting a
solution with its XML in another order keeps every fingerprint — which is
what baselines need (detect-secrets and checkov key theirs the same way).
"""

from __future__ import annotations

import hashlib

FINGERPRINT_VERSION = "v1"


def fingerprint(rule_id: str, component: str, evidence: str) -> str:
    """A stable hex key for a finding; ``evidence`` is hashed, never stored."""
    digest = hashlib.sha256("\0".join((rule_id, component, evidence)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]
