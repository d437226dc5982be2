import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# The property tests draw the same examples on every run in CI (`CI` set, or HYPOTHESIS_PROFILE=ci): a failure
# there is reproducible, never a different draw. No example database: nothing is written beside the tests.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))

# The suite's own switches, not the product's settings: kept from the environment
TEST_SWITCHES = frozenset({"NIANBAO_BROWSER", "NIANBAO_CHROMIUM", "NIANBAO_SCREENSHOTS", "NIANBAO_FUZZ_EXAMPLES"})


@pytest.fixture(autouse=True)
def _no_model_settings_from_the_shell(monkeypatch):
    """A developer's OPENAI_API_KEY, OPENAI_BASE_URL or NIANBAO_* never reach a test (nor the hosted API):
    each test sets what it needs."""
    for name in list(os.environ):
        if name.startswith("OPENAI_") or (name.startswith("NIANBAO_") and name not in TEST_SWITCHES):
            monkeypatch.delenv(name)
