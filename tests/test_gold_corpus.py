"""Every gold file re-checked on its own: known keys in template order, and the identities its cells
break are exactly the `source_errors` it lists (gold-format.md "A gold file")."""

import json
from pathlib import Path

import pytest
from nianbao.check import evaluate, table3_identities, table4_identities
from nianbao.eval.evaluate import load_case
from nianbao.schemas.keys import ALL_KEYS, KNOWN_KEYS, T2_2019_KEYS, ordered

CORPUS = Path(__file__).resolve().parent.parent / "eval" / "corpus"
GOLD = sorted(CORPUS.glob("*.gold.json"))


def test_every_corpus_page_has_its_gold_file_and_every_gold_file_its_page():
    pages = {p.name for p in CORPUS.iterdir() if not p.name.endswith(".json")}
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in GOLD]
    inputs = [name for g in golds for name in (g.get("inputs") or [g["input"]])]
    assert GOLD and pages  # each page named by exactly one gold file (pingtan-2019: one gold for two pages)
    assert sorted(inputs) == sorted(pages)


@pytest.mark.parametrize("path", GOLD, ids=lambda p: p.name)
def test_gold_keys_are_known_and_in_template_order(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert [k for k in cells if k not in KNOWN_KEYS] == []
    assert list(cells) == ordered(cells)  # a 2019 （六）其他处理 row where （六） sits, its table 二 first


@pytest.mark.parametrize("path", GOLD, ids=lambda p: p.name)
def test_gold_is_complete_unless_partial(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    if not data.get("partial"):  # every key of its template has a value or is listed as not on the page
        template = set(ALL_KEYS) | (set(T2_2019_KEYS) if data["template"] == "gov2019" else set())
        assert template - set(data["cells"]) - set(data.get("not_on_page", [])) == set()
    elif (
        data["template"] == "gov2021"
    ):  # a fragment says which keys its page does not print, so a value there scores wrong
        assert set(ALL_KEYS) - set(data["cells"]) == set(data["not_on_page"])


@pytest.mark.parametrize("path", GOLD, ids=lambda p: p.name)
def test_gold_identities_fail_exactly_as_source_errors_say(path):
    case = load_case(path)  # also validates value types and finds the input beside the gold file
    values = case.cells
    checks = [evaluate(i, values) for i in table3_identities(values) + table4_identities()]
    assert sorted(c.id for c in checks if c.status == "fail") == sorted(case.source_errors)
