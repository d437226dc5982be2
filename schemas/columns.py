"""The columns of the tabular outputs: `--format csv` and a batch's reports.csv (one row per report, the same
columns), cells.csv and cells.parquet (one row per cell)."""

from __future__ import annotations

from nianbao.schemas.keys import ALL_KEYS, OTHER_TOTAL_KEYS, T2_2019_KEYS

# `unverified`: the ';'-joined keys of the values the record does not stand behind (Report.unverified);
# `unread`: of the null cells nianbao could not read (Report.unread; any other null is printed empty);
# `confirmed`: those a person corrected or confirmed (corrections.jsonl) and the record stands behind
META_COLUMNS = (
    "source",
    "verdict",
    "unverified",
    "unread",
    "confirmed",
    "agency_name",
    "report_year",
    "template",
    "scope",
    "publish_date",
    "input_sha256",
)
# Fixed, whatever the reports: every canonical key, the 2019 template's cells last, so every run has one schema
WIDE_COLUMNS = (*META_COLUMNS, *ALL_KEYS, *OTHER_TOTAL_KEYS, *T2_2019_KEYS)
HEAD_COLUMNS = (
    "source",  # the input path the content was extracted from
    "input_sha256",
    "verdict",  # the report's verdict, so cells of trusted reports are one filter away
)
CELL_COLUMNS = (
    *HEAD_COLUMNS,
    "key",  # the canonical key
    "table",  # 二 / 三 / 四
    "value",  # as printed: a count, or the fee's exact decimal
    "status",  # verified / confirmed (by a person) / unverified (a value the record does not stand behind) / blank / unread
    "raw",
    "span_start",
    "span_end",
    "flags",  # ';'-separated cell flags
    "cell_source",  # parser or model
    "check_status",  # fail / pass / uncheckable over the hard identities that involve the cell; empty if none
    "checks",  # every check involving the cell, 'id=status'
)
ROW_COLUMNS = CELL_COLUMNS[len(HEAD_COLUMNS) :]  # a cell's own columns, as `nianbao.datasets.cell_rows` gives them
