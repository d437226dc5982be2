"""The canonical cell keys (gold-format.md): the only names a cell has anywhere in nianbao."""

from __future__ import annotations

T2_ROWS: dict[str, tuple[str, ...]] = {
    "regulations": ("issued", "repealed", "in_force"),
    "normative_docs": ("issued", "repealed", "in_force"),
    "licensing": ("decisions",),
    "penalty": ("decisions",),
    "coercion": ("decisions",),
    "fees": ("amount",),
}


def t2_key(row: str, column: str) -> str:
    return f"active.{row}.{column}"


T2_KEYS: tuple[str, ...] = tuple(t2_key(row, col) for row, cols in T2_ROWS.items() for col in cols)
FEE_KEY = "active.fees.amount"

# The 2019 trial template's table 二 (format.md §1.4): other columns, two more rows, keys of their own.
T2_2019_ROWS: dict[str, tuple[str, ...]] = {
    "regulations": ("new_made", "new_published", "total_published"),
    "normative_docs": ("new_made", "new_published", "total_published"),
    "licensing": ("prev_items", "delta", "decisions"),
    "other_mgmt_services": ("prev_items", "delta", "decisions"),
    "penalty": ("prev_items", "delta", "decisions"),
    "coercion": ("prev_items", "delta", "decisions"),
    "fees": ("prev_items", "delta"),
    "procurement": ("projects", "total_amount"),
}


def t2_2019_key(row: str, column: str) -> str:
    return f"active_2019.{row}.{column}"


T2_2019_KEYS: tuple[str, ...] = tuple(t2_2019_key(row, col) for row, cols in T2_2019_ROWS.items() for col in cols)
PROCUREMENT_KEY = "active_2019.procurement.total_amount"  # a decimal; its unit (元) stays in the cell's raw text
DECIMAL_KEYS = frozenset({FEE_KEY, PROCUREMENT_KEY})
SIGNED_KEYS = frozenset(k for k in T2_2019_KEYS if k.endswith(".delta"))  # 本年增/减: "-18", "+1036"

T3_ROWS: tuple[str, ...] = (
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "denied.state_secret",
    "denied.law_prohibited",
    "denied.three_safety_one_stability",
    "denied.third_party_rights",
    "denied.internal_affairs",
    "denied.process_info",
    "denied.enforcement_files",
    "denied.admin_query",
    "unable.not_held",
    "unable.needs_creation",
    "unable.unclear_after_correction",
    "not_processed.petition_complaint",
    "not_processed.duplicate",
    "not_processed.publication",
    "not_processed.unreasonable_mass",
    "not_processed.confirm_or_reissue",
    "other.no_correction",
    "other.fee_unpaid",
    "other.other",
    "total_processed",
    "carried_forward",
)
# The 2019 template prints one （六）其他处理 row instead of other.*; format.md §1.6 calls it other_total.
OTHER_TOTAL_ROW = "other_total"
OTHER_SUB_ROWS: tuple[str, ...] = ("other.no_correction", "other.fee_unpaid", "other.other")
T3_LEAF_ROWS: tuple[str, ...] = T3_ROWS[2:23]
T3_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "public_interest_org",
    "legal_service",
    "other_org",
    "total",
)
T3_APPLICANT_COLUMNS: tuple[str, ...] = T3_COLUMNS[:6]

T4_GROUPS: tuple[str, ...] = ("review", "litigation_direct", "litigation_after_review")
T4_COLUMNS: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")


def t3_key(row: str, column: str) -> str:
    return f"applications.{row}.{column}"


T4_ROW = "review_litigation"  # table 四's fifteen cells, one row as the template prints them


def t4_key(group: str, column: str) -> str:
    return f"{T4_ROW}.{group}.{column}"


T3_KEYS: tuple[str, ...] = tuple(t3_key(r, c) for r in T3_ROWS for c in T3_COLUMNS)
T4_KEYS: tuple[str, ...] = tuple(t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS)
OTHER_TOTAL_KEYS: tuple[str, ...] = tuple(t3_key(OTHER_TOTAL_ROW, c) for c in T3_COLUMNS)
ALL_KEYS: tuple[str, ...] = T2_KEYS + T3_KEYS + T4_KEYS
KNOWN_KEYS: frozenset[str] = frozenset(ALL_KEYS + OTHER_TOTAL_KEYS + T2_2019_KEYS)  # every key a record may hold


def table_of(key: str) -> str:
    """'二', '三' or '四': the template table a key belongs to."""
    return {"active": "二", "active_2019": "二", "applications": "三", "review_litigation": "四"}[key.split(".", 1)[0]]


def row_of(key: str) -> str:
    """The row a key belongs to: a key less its last part, and table 四's 15 cells one row (the template prints
    them as one, and a converter's order of them is one choice across its three groups)."""
    return T4_ROW if key.startswith(f"{T4_ROW}.") else key.rsplit(".", 1)[0]


def _template_rank() -> dict[str, float]:
    rank: dict[str, float] = {k: i for i, k in enumerate(ALL_KEYS)}
    before_total = rank[t3_key("total_processed", T3_COLUMNS[0])]
    rank |= {k: before_total - 0.5 + i / 100 for i, k in enumerate(OTHER_TOTAL_KEYS)}  # where the 2019 row is printed
    rank |= {k: -len(T2_2019_KEYS) + i for i, k in enumerate(T2_2019_KEYS)}  # 2019's table 二 comes first too
    return rank


_RANK = _template_rank()  # built once: every record orders its cells


def ordered(keys) -> list[str]:
    """Keys in template order (unknown keys last), so every output lists cells the same way."""
    return sorted(keys, key=lambda k: (_RANK.get(k, len(_RANK)), k))
