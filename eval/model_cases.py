"""Gold cases only the model path can get right, written into the committed corpus (gold by construction).

Table 三's row labels as the template does not print them — reworded (予以公开 → 准予公示, 部分公开 →
部分同意) or misread as OCR and converters misread characters (属于国家秘密 → 属干国家秘蜜, 重复申请 →
重夏申请, or most labels as a scan misreads them): the parser anchors on the template's labels, cannot tell
which rows it is reading there and refuses them; the model is shown the page's lines there and names the
template row of each, and grounding checks its reading against the document text (every printed number
used once, in order). The same with the converters' damage classes: partly labelled rows (a row printed
bare after a misread one), table 四 in another shape or as bare rows, table 三's 法人 columns collapsed into
one, and these combined. Numbers broken across lines are no class of theirs: they occur in one-cell-per-line
text, where the parser reads the rows by the template's order and the identities choose the joinings, whatever
the labels say.

Each class only in the layouts where the parser leaves it open: a page printed a row a line (tsv, html) or one
cell per line (`lines`) is read by the template's fixed row order whatever its labels say
(`extractor/parse/blocks.py`), so a misread label there is the model's only where another damage stops that
reading (rows printed bare, collapsed columns). CI replays the real model's answers for them
(`eval/model-only`, its own baseline), so a model path that stops working fails the auto gate.
Re-generate: `python -m nianbao.eval.model_cases eval/model-only`, then record
(`nianbao model record --cases eval/corpus --auto-cases eval/model-only --reuse eval/recordings/….jsonl`).
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from pathlib import Path

from nianbao.eval.damage import Generated, Page, generate

LABELS = {
    "reworded": {"予以公开": "准予公示", "部分公开": "部分同意"},
    "misread": {"属于国家秘密": "属干国家秘蜜", "重复申请": "重夏申请"},
    # a scan's worth of misread characters: most of table 三's labels, so the model reads three regions
    "misread-many": {
        **{"申请": "申谓", "公开": "公幵", "处理": "处埋", "信息": "信悤", "属于": "属干", "不予": "不子"},
        **{"无法": "无汯", "其他": "其它", "总计": "总汁", "结转": "结传", "数量": "数暈", "保护": "保沪"},
        **{"危及": "危汲", "重复": "重夏", "要求": "要朮", "本机关": "本机矢", "补正": "补止", "逾期": "逾朗"},
    },
}
# table 四's labels as a converter misreads them (总计 in table 三 too)
T4_MISREAD = {"维持": "维恃", "纠正": "纠止", "其他结果": "其它结杲", "尚未审结": "尚未审洁", "总计": "总汁"}
# partly labelled rows: the rows after the misread ones print their numbers with no label at all
BARE = ("denied.law_prohibited", "not_processed.publication")
# the layouts of the label classes, and the rows printed bare there: where each line is a label and its row's
# numbers (tsv, html, `lines`), the parser reads table 三 by the template's row order whatever its labels say, so a
# changed label is the model's there only with rows printed bare after the changed ones (which stop that reading)
LABEL_LAYOUTS = {"markdown": False, "tsv": True, "html": True}
BARE_AFTER = {"reworded": ("partially_granted", "denied.state_secret"), "misread": BARE, "misread-many": BARE}
# the damage classes, each with labels the parser cannot anchor: (name, damage kinds, label changes, bare rows,
# layouts)
CLASSES = (
    ("partly-labelled", (), LABELS["misread"], BARE, ("markdown", "tsv")),
    # labels printed on lines of their own above or below their rows' numbers: the parser deals some rows back
    # one line off, and its regions cut through rows, so the model names every line of table 三 in one question
    ("labels-apart", ("partly_labelled",), LABELS["misread"], (), ("markdown",)),
    ("t4-shapes", ("t4_shapes",), T4_MISREAD, (), ("markdown", "html")),
    ("t4-bare-rows", ("t4_bare_rows",), {**T4_MISREAD, **LABELS["misread"]}, (), ("markdown",)),
    ("t4-bare-rows", ("t4_bare_rows",), {**T4_MISREAD, **LABELS["misread"]}, BARE, ("tsv",)),
    ("collapsed", ("collapsed_columns",), LABELS["misread"], (), ("markdown",)),  # `lines`: read band by band
    ("combined", ("t4_shapes",), {**T4_MISREAD, **LABELS["misread"]}, BARE, ("markdown", "tsv")),
)


def relabel(changes: dict[str, str], bare: tuple[str, ...] = ()):
    """Table 三's labels as the page prints them: the template's row, not the template's text; the rows
    in `bare` (row names) print their numbers with no label of their own."""

    def damage(page: Page, rng: random.Random) -> Page:
        for table in page.tables():
            for row in table.rows:
                if any(td.key and td.key.rsplit(".", 1)[0] in {f"applications.{r}" for r in bare} for td in row):
                    for td in row:
                        if not td.is_value and td.rowspan == 1:
                            td.text = ""
        for td in page.cells():
            if not td.is_value:
                for printed, changed in changes.items():
                    td.text = td.text.replace(printed, changed)
        return page

    return damage


def draw(name: str, layout: str, damages: tuple[str, ...], damage) -> Generated:
    """The page `name` draws, or the next draw while its gold has cells its page cannot determine (table 四's
    two lawsuit groups printed as their sum): no reading gets those right, so no such page tests the model."""
    case, attempt = generate(random.Random(name), layout, damages, name=name, extra_damage=damage), 0
    while case.undetermined:
        attempt += 1
        case = generate(random.Random(f"{name}#{attempt}"), layout, damages, name=name, extra_damage=damage)
    return case


def write_cases(directory: Path) -> list[Generated]:
    directory.mkdir(parents=True, exist_ok=True)
    plans = [
        (f"{kind}-labels", (), changes, BARE_AFTER[kind] if bare else (), layout)
        for (kind, changes), (layout, bare) in itertools.product(LABELS.items(), LABEL_LAYOUTS.items())
    ]
    plans += [(kind, *spec, layout) for kind, *spec, layouts in CLASSES for layout in layouts]
    cases = []
    for kind, damages, changes, bare, layout in plans:
        name = f"model-only-{kind}-{layout}"
        case = draw(name, layout, damages, relabel(changes, bare))
        (directory / case.filename).write_bytes(case.data)
        gold = json.dumps(case.gold(), ensure_ascii=False, indent=1) + "\n"
        (directory / f"{name}.gold.json").write_text(gold, encoding="utf-8")
        cases.append(case)
    return cases


if __name__ == "__main__":
    for case in write_cases(Path(sys.argv[1] if len(sys.argv) > 1 else "eval/model-only")):
        print(case.filename)
