"""Gold cases only the model path can get right, written into the committed corpus (gold by construction).

Table 三's row labels reworded as some agencies and OCR print them (予以公开 → 准予公示,
部分公开 → 部分同意): the parser anchors on the template's labels, cannot tell which rows it is reading there and refuses them;
the model reads the rows by their printed values, and grounding checks every value it gives against the
row's text. CI replays the real model's answers for them (`eval/model-only`, its own baseline), so a model
path that stops working fails the auto gate. Re-generate: `python -m eval.model_cases eval/model-only`,
then record the auto path's answers (`nianbao model record --cases eval/model-only --only-auto --out FILE`)
and add them to the recordings. One layout so far: the local model on two shared cores needs minutes an answer.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from eval.damage import Generated, Page, generate

REWORDED = {"予以公开": "准予公示", "部分公开": "部分同意"}
LAYOUTS = ("lines",)


def reword_labels(page: Page, rng: random.Random) -> Page:
    """Table 三's result labels in other words: the template's row, not the template's text."""
    for td in page.cells():
        if not td.is_value:
            for printed, reworded in REWORDED.items():
                td.text = td.text.replace(printed, reworded)
    return page


def write_cases(directory: Path) -> list[Generated]:
    directory.mkdir(parents=True, exist_ok=True)
    cases = []
    for layout in LAYOUTS:
        name = f"model-only-reworded-labels-{layout}"
        case = generate(random.Random(name), layout, name=name, extra_damage=reword_labels)
        (directory / case.filename).write_bytes(case.data)
        gold = json.dumps(case.gold(), ensure_ascii=False, indent=1) + "\n"
        (directory / f"{name}.gold.json").write_text(gold, encoding="utf-8")
        cases.append(case)
    return cases


if __name__ == "__main__":
    for case in write_cases(Path(sys.argv[1] if len(sys.argv) > 1 else "eval/model-only")):
        print(case.filename)
