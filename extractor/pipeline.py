"""The pipeline: ingest → parse → assemble (check, verdict), and the model path for what the parser leaves.

`extract_path` is what the CLI, the batch runner and the eval all call. The pipeline calls the model
path (nianbao.model.loop), never the reverse: both paths build their records with nianbao.assemble.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from nianbao import corrections as person
from nianbao import crawl
from nianbao.assemble import build_report, complete_cells
from nianbao.check import CHECKER_VERSION
from nianbao.ingest import Document, IngestError, ingest_path, path_text
from nianbao.model.settings import Settings
from nianbao.parse import PARSER_VERSION, ParsedTables, parse_tables
from nianbao.positions import flag_ocr, placement
from nianbao.schemas.corrections import Correction
from nianbao.schemas.record import Mode, Provenance, Report


@dataclass(frozen=True)
class Options:
    """How to extract: `mode` is rules (parser only), model (the model reads every table) or auto (the
    model reads only what the parser did not verify); `model` the model's settings (None: from the
    environment, see nianbao.model.settings); `corrections` a person's values by input hash
    (corrections.jsonl), applied to the matching input in every mode and never overridden by the model."""

    mode: str = Mode.rules.value
    model: Settings | None = None
    corrections: Mapping[str, Correction] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode).value)  # a Mode or its name; anything else is refused


def parse_document(doc: Document, source: str) -> tuple[Report, ParsedTables]:
    parsed = parse_tables(doc.text, trust_blanks=doc.format in ("html", "docx", "pdf", "image"), place=placement(doc))
    provenance = Provenance(
        method="parser",
        parser_version=PARSER_VERSION,
        checker_version=CHECKER_VERSION,
        cells_from_parser=sum(1 for c in parsed.cells.values() if c.value is not None or "blank" in c.flags),
    )
    return build_report(doc, source, flag_ocr(complete_cells(parsed), doc), parsed, provenance, parsed.warnings), parsed


def extract_document(doc: Document, source: str, options: Options = Options()) -> Report:
    report, parsed = parse_document(doc, source)
    correction = options.corrections.get(doc.sha256)
    if correction:  # before the model path, which then reads only what the person left open
        report = person.apply(report, correction, doc, parsed)
    if options.mode == "rules":
        return report
    from nianbao.model import loop  # imported late: the parser path needs no model libraries

    report = loop.improve(report, parsed, doc, options.mode, options.model)
    return person.apply(report, correction, doc, parsed) if correction else report  # the person's value stands


def extract_path(
    path: str | Path, options: Options = Options(), source: str | None = None, properties: dict | None = None
) -> Report:
    """Raises IngestError (one-line message) for input that is not a readable page.

    `source` names the input in the record when `path` is a staged copy (of a URL's object, of a crawl
    file's row); `properties` is what the crawl file's row says of the page (nianbao.crawl)."""
    if (why := crawl.unreadable(Path(path))) is not None:  # a crawl file whose rows could not be staged
        raise IngestError(why)
    doc = ingest_path(path)
    if properties:
        doc = replace(doc, properties={**doc.properties, **properties})
    return extract_document(doc, source or path_text(path), options)
