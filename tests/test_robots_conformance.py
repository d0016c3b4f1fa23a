"""Every vector in ../shared/conformance/robots (answers from Google's reference parser)."""

from __future__ import annotations

import base64
import json

import pytest

from seoaudit.robots_txt import is_allowed
from tests.conftest import SHARED_DIR, require_shared

VECTORS_PATH = SHARED_DIR / "conformance" / "robots" / "vectors.json"
CASES = json.loads(VECTORS_PATH.read_text("utf-8")) if VECTORS_PATH.exists() else []


def _body(case: dict) -> bytes:
    if "robots_txt_base64" in case:
        return base64.b64decode(case["robots_txt_base64"])
    return case["robots_txt"].encode("utf-8")


def test_vectors_folder_is_present_and_non_empty():
    path = require_shared("conformance", "robots", "vectors.json")
    assert len(json.loads(path.read_text("utf-8"))) >= 254


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_vector(case: dict) -> None:
    require_shared("conformance", "robots", "vectors.json")
    verdict = is_allowed(_body(case), case["user_agent"], case["url"])
    got = "allowed" if verdict else "disallowed"
    assert got == case["expected"], f"{case['id']}: {case['why']}"
