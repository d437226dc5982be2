"""The model loop against a scripted test server: reprompts, grounding, budget, cache, accounting."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest
from nianbao.ingest import Document, ingest_bytes
from nianbao.model import loop
from nianbao.model.settings import Settings
from nianbao.model.sources import Region
from nianbao.pipeline import Options, extract_document, parse_document
from nianbao.schemas.record import Verdict
from pages import T3_LABEL_TEXT, collapse_legal_entities, consistent_table3, page
from scripted_server import ScriptedServer, completion, read_like_a_perfect_model, row_lines, user_text

TABLE3 = consistent_table3(
    {"granted": [5, 1, 0, 0, 0, 0], "partially_granted": [2, 0, 0, 0, 0, 0]}, new_received=[7, 1, 0, 0, 0, 0]
)
# The labels of 予以公开 and 部分公开 are garbled, so the parser cannot read those rows (nor 上年结转,
# whose text now runs on into theirs), and 属于国家秘密's row after them is printed bare, so it cannot read
# table 三 by the template's row order either (a row a line with every label printed it reads so whatever the
# labels say): the record needs the model.
REWORDED = {
    **T3_LABEL_TEXT,
    "granted": "三、本年度办理结果 （一）准予公示",
    "partially_granted": "（二）部分同意（区分处理的）",
}
GARBLED = {**REWORDED, "denied.state_secret": ""}


# 部分公开 printed with no label at all: its numbers run on after 予以公开's. The model is shown the region's
# text and writes the rows' numbers; grounding checks them against that text. (Where each printed row is a
# line of its own, as here, the model is asked only to name the lines; the `lost` fixture turns that off, to
# test the region read that regions with other lines, and tables 二 and 四, get.)
LOST = {**REWORDED, "partially_granted": ""}


@pytest.fixture
def lost(monkeypatch) -> Document:
    monkeypatch.setattr(Region, "choosable", lambda region, width: False)
    return ingest_bytes(page(TABLE3, t3_labels=LOST).encode("utf-8"), "lost.txt")


@pytest.fixture
def doc() -> Document:
    return ingest_bytes(page(TABLE3, t3_labels=GARBLED).encode("utf-8"), "garbled.txt")


def settings_for(scripted: ScriptedServer, tmp_path, **overrides) -> Settings:
    base = Settings(
        model="scripted-model", base_url=scripted.url, server="llama", backoff=0.001, cache_dir=tmp_path / "cache"
    )
    return replace(base, **overrides)


def script(answer):
    """A script from `answer(body) -> dict` (the model's JSON), counted by the server."""
    return lambda body: (200, completion(json.dumps(answer(body))))


def is_reprompt(body) -> bool:
    return "Your earlier answer" in user_text(body)


def with_rows(body, changes: dict[str, list[int]]) -> dict:
    """The perfect answer, with the rows whose source line (or name, in a region's request) contains a marker
    replaced."""
    answer = read_like_a_perfect_model(body)
    for i, line in enumerate(row_lines(body)):
        for marker, values in changes.items():
            if marker in line and "rows" in answer and "Table 三" in user_text(body):
                answer["rows"][i] = values
            elif marker in line and f"R{i + 1}" in answer:
                answer[f"R{i + 1}"] = values
    return answer


def run(doc, settings, mode="auto"):
    return extract_document(doc, doc.name, Options(mode=mode, model=settings))


def test_parser_alone_needs_the_model(doc):
    report, _ = parse_document(doc, doc.name)
    assert report.verdict == Verdict.needs_model
    assert "not_found" in report.cells["applications.granted.total"].flags


def test_a_misread_region_draws_a_targeted_reprompt_and_the_corrected_answer_verifies(lost, tmp_path):
    server = ScriptedServer(
        script(
            lambda body: (
                read_like_a_perfect_model(body)
                if is_reprompt(body)
                else with_rows(body, {"予以公开": [5, 0, 0, 0, 0, 0, 6]})
            )
        )
    )
    try:
        report = run(lost, settings_for(server, tmp_path))
    finally:
        server.close()
    reprompts = [r["body"] for r in server.requests if is_reprompt(r["body"])]
    assert len(reprompts) == 1
    text = user_text(reprompts[0])
    # the misread row is never the cells' value (so no identity fails on it): the region's rows are named as
    # not matching the numbers the text prints, with the region's text and the earlier answer, not a transcript
    assert "the numbers of R2 are not the ones the text prints for it" in text
    assert "（一）准予公示 5 1 0 0 0 0 6\n2 0 0 0 0 0 2" in text.replace("(一)", "（一）")  # a printed row a line
    assert '"R2": [5, 0, 0, 0, 0, 0, 6]' in text
    assert len(reprompts[0]["messages"]) == 2
    assert report.verdict == Verdict.verified, report.verdict_reason
    cell = report.cells["applications.granted.commercial"]
    assert (cell.value, cell.source) == (1, "model") and {"model_read", "grounded"} <= set(cell.flags)
    assert lost.text[slice(*cell.span)] == "1"
    # a region grounds by the order of its numbers, which a table printed column by column satisfies too: its
    # cells are a placement by order, stood behind here because every identity they take part in holds
    assert "realigned" in cell.flags and report.unverified == []
    unchecked = report.model_copy(
        update={
            "checks": [c.model_copy(update={"status": "uncheckable"}) if "T3.sum" in c.id else c for c in report.checks]
        }
    )
    assert "applications.granted.commercial" in unchecked.unverified
    p = report.provenance
    assert (p.method, p.model, p.reprompts, p.cache_hits) == ("parser+model", "scripted-model", 1, 0)
    assert p.model_calls == p.attempts == len(server.requests)
    assert p.tokens_in == 100 * len(server.requests) and p.tokens_out == 20 * len(server.requests)
    # auto asks only for the rows the parser left open: the region's three rows, not the tables it read
    assert p.prompt_version == "region.v1,reprompt.v1,system.v1"
    assert p.attempts <= 4
    assert p.cells_from_model == 21


def test_sums_that_hold_on_numbers_not_in_the_source_do_not_verify(lost, tmp_path):
    # Two rows rewritten so that every identity still holds: 6+1 = 5+2 and 0+1 = 1+0.
    wrong = {"予以公开": [6, 0, 0, 0, 0, 0, 6], "部分公开": [1, 1, 0, 0, 0, 0, 2]}
    server = ScriptedServer(script(lambda body: with_rows(body, wrong)))
    try:
        report = run(lost, settings_for(server, tmp_path))
    finally:
        server.close()
    failing = [c.id for c in report.checks if c.severity == "hard" and c.status == "fail"]
    assert failing == []
    assert report.verdict == Verdict.needs_review
    assert "ungrounded" in report.cells["applications.granted.natural_person"].flags
    assert "not found in the source" in report.verdict_reason
    cell = report.cells["applications.granted.natural_person"]
    assert (cell.value, cell.candidates) == (None, [6])  # never the cell's value: kept as a candidate, flagged
    assert "applications.granted.natural_person" not in report.unverified  # a null is no number to mark


def test_a_model_that_never_converges_ends_needs_review_within_budget(lost, tmp_path):
    calls = iter(range(10_000))
    server = ScriptedServer(script(lambda body: with_rows(body, {"予以公开": [9 + next(calls), 0, 0, 0, 0, 0, 5]})))
    try:
        report = run(lost, settings_for(server, tmp_path, max_calls=12, max_rounds=50))
    finally:
        server.close()
    assert report.verdict == Verdict.needs_review
    assert len(server.requests) == report.provenance.attempts == 12
    assert "budget spent" in report.verdict_reason
    assert report.cells["applications.granted.natural_person"].source == "model"


def test_a_second_run_makes_no_requests(doc, tmp_path):
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        first = run(doc, settings_for(server, tmp_path))
        sent = len(server.requests)
        second = run(doc, settings_for(server, tmp_path))
    finally:
        server.close()
    assert sent > 0 and len(server.requests) == sent
    assert second.provenance.model_calls == 0 and second.provenance.cache_hits == first.provenance.attempts
    assert second.values() == first.values() and second.verdict == first.verdict == Verdict.verified


def test_auto_mode_leaves_verified_records_alone(tmp_path):
    clean = ingest_bytes(page(TABLE3).encode("utf-8"), "clean.txt")
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        report = run(clean, settings_for(server, tmp_path), mode="auto")
        assert report.verdict == Verdict.verified and server.requests == []
        checked = run(clean, settings_for(server, tmp_path), mode="model")
        unbounded = run(clean, settings_for(server, tmp_path, max_calls=24), mode="model")
    finally:
        server.close()
    assert server.requests and checked.verdict == Verdict.verified
    # model mode reads within the budget of 4 answers: table 二, then table 三's first ten rows, all agreeing
    assert checked.provenance.attempts == 4 and checked.provenance.cells_from_model == 0
    assert checked.provenance.model_parser_agreements == 10 + (3 + 4 + 3) * 7
    assert unbounded.provenance.model_parser_agreements == 200


def test_the_identities_settle_a_disagreement_for_the_parser(tmp_path):
    clean = ingest_bytes(page(TABLE3).encode("utf-8"), "clean.txt")
    server = ScriptedServer(script(lambda body: with_rows(body, {"予以公开": [4, 1, 0, 0, 0, 0, 5]})))
    try:
        report = run(clean, settings_for(server, tmp_path), mode="model")
    finally:
        server.close()
    assert report.verdict == Verdict.verified
    assert report.cells["applications.granted.natural_person"].value == 5
    assert report.cells["applications.granted.natural_person"].source == "parser"
    assert any("kept the parser's for 1" in w for w in report.warnings)


def test_no_model_configured_says_how_to_set_one_up(doc):
    report = run(doc, Settings())
    assert report.verdict == Verdict.needs_model
    assert (
        "OPENAI_BASE_URL" in report.verdict_reason
        and "nianbao model pull && nianbao model serve" in report.verdict_reason
    )


def test_an_unreachable_endpoint_leaves_the_parser_record_saying_why(doc, tmp_path):
    server = ScriptedServer(lambda body: (503, {"error": {"message": "overloaded"}}))
    try:
        report = run(doc, settings_for(server, tmp_path, retries=3))
    finally:
        server.close()
    assert len(server.requests) == 3
    assert report.verdict == Verdict.needs_model
    assert "model unavailable" in report.verdict_reason and "failed 3 times" in report.verdict_reason


def test_llama_servers_get_the_schema_as_a_grammar_and_hosted_apis_get_json_schema(doc, tmp_path):
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        run(doc, settings_for(server, tmp_path, cache_dir=None))
        llama = server.requests[0]["body"]["response_format"]
        server.requests.clear()
        run(doc, settings_for(server, tmp_path, cache_dir=None, server="openai"))
        hosted = server.requests[0]["body"]["response_format"]
    finally:
        server.close()
    assert (
        llama["type"] == "json_object" and llama["schema"]["required"] and "additionalProperties" not in llama["schema"]
    )
    assert hosted["type"] == "json_schema" and hosted["json_schema"]["strict"] is True
    assert hosted["json_schema"]["schema"] == {**llama["schema"], "additionalProperties": False}


def test_loop_run_reports_the_models_own_reading(lost, tmp_path):
    server = ScriptedServer(script(lambda body: with_rows(body, {"予以公开": [5, 1, 0, 0, 0, 0, 6]})))
    try:
        report, parsed = parse_document(lost, lost.name)
        result = loop.run(report, parsed, lost, settings_for(server, tmp_path, max_calls=24))
    finally:
        server.close()
    assert result.model_values["applications.granted.commercial"] == 1
    assert len(result.model_values) == 200


def test_the_cli_without_a_model_says_so_and_does_not_crash(tmp_path, monkeypatch):
    from nianbao.cli import app
    from typer.testing import CliRunner

    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "NIANBAO_MODEL", "NIANBAO_SERVER"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "garbled.txt"
    path.write_text(page(TABLE3, t3_labels=GARBLED), encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(path), "--mode", "auto", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert line["verdict"] == "needs_model" and "nianbao model pull && nianbao model serve" in line["verdict_reason"]


def test_the_default_mode_is_auto_with_a_model_and_the_parser_with_a_setup_hint_without_one(tmp_path, monkeypatch):
    from nianbao.cli import app
    from typer.testing import CliRunner

    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "NIANBAO_MODEL", "NIANBAO_SERVER"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "garbled.txt"
    path.write_text(page(TABLE3, t3_labels=GARBLED), encoding="utf-8")
    extract = ["extract", str(path), "--cache-dir", str(tmp_path / "cache")]
    alone = CliRunner().invoke(app, extract)
    assert alone.exit_code == 0, alone.output
    assert alone.stderr.count("\n") == 1 and "nianbao model pull && nianbao model serve" in alone.stderr
    assert json.loads(alone.stdout)["verdict"] == "needs_model"
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("NIANBAO_BACKOFF", "0.001")
        helped = CliRunner().invoke(app, extract)
        asked = len(server.requests)
        rules = CliRunner().invoke(app, [*extract, "--mode", "rules"])
    finally:
        server.close()
    assert helped.exit_code == 0 and helped.stderr == "", helped.output
    assert asked > 0 and json.loads(helped.stdout)["verdict"] == "verified"
    assert len(server.requests) == asked and rules.stderr == "" and json.loads(rules.stdout)["verdict"] == "needs_model"


def test_questions_go_out_together_within_the_bound_and_the_record_does_not_depend_on_it(doc, tmp_path):
    """Answers/s against a server that takes LATENCY per answer and serves requests concurrently (as vLLM or a
    hosted API does): one question at a time, then four. Prints the figures; the records must be identical."""
    latency = 0.2
    lock = threading.Lock()
    flight = {"now": 0, "peak": 0}

    def slow(body):
        with lock:
            flight["now"] += 1
            flight["peak"] = max(flight["peak"], flight["now"])
        time.sleep(latency)
        with lock:
            flight["now"] -= 1
        return 200, completion(json.dumps(read_like_a_perfect_model(body)))

    server = ScriptedServer(slow)
    runs = {}
    try:
        run(doc, settings_for(server, tmp_path, cache_dir=None), mode="model")  # warm-up: imports out of the figures
        for concurrency in (1, 4):
            flight["peak"] = 0
            started = time.perf_counter()
            report = run(doc, settings_for(server, tmp_path, cache_dir=None, concurrency=concurrency), mode="model")
            rate = report.provenance.model_calls / (time.perf_counter() - started)
            runs[concurrency] = (report, flight["peak"], rate)
    finally:
        server.close()
    for concurrency, (report, peak, rate) in runs.items():
        calls = report.provenance.model_calls
        print(f"concurrency {concurrency}: {calls} answers, {rate:.1f} answers/s, peak {peak} in flight")
    (one, one_peak, _), (four, four_peak, _) = runs[1], runs[4]
    assert one_peak == 1 and 2 <= four_peak <= 4
    assert (
        four.cells == one.cells and four.verdict == one.verdict == Verdict.verified
    )  # the rates are printed, not asserted


def test_the_model_never_verifies_a_reading_the_parser_refused_for_a_stated_reason(tmp_path):
    # 予以公开 prints "9 5 1 0 0 0 0 6": one value too many in a single row, and nothing explains why the 9 is
    # printed; dropping it makes the sums hold, which is not proof, so a model that drops it does not verify.
    table = consistent_table3({"granted": [5, 1, 0, 0, 0, 0]}, new_received=[5, 1, 0, 0, 0, 0])
    text = page(table).replace("予以公开 5 1 0 0 0 0 6", "予以公开 9 5 1 0 0 0 0 6")
    assert "予以公开 9 5 1 0 0 0 0 6" in text
    extra_doc = ingest_bytes(text.encode("utf-8"), "extra.txt")
    parser_report, _ = parse_document(extra_doc, extra_doc.name)
    key = "applications.granted.natural_person"
    assert parser_report.verdict == Verdict.needs_model
    assert "dropped_extra_value" in parser_report.cells[key].flags
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        report = run(extra_doc, settings_for(server, tmp_path))
    finally:
        server.close()
    assert server.requests  # the model was asked
    assert report.verdict != Verdict.verified, report.verdict_reason
    assert {"ambiguous", "dropped_extra_value"} <= set(report.cells[key].flags)


def test_a_table_three_the_parser_cannot_locate_is_read_from_its_section(tmp_path):
    # every label of table 三 misread beyond recognition: the parser finds its title but none of its rows
    shifted = {
        row: "".join(chr(ord(c) + 1) if "\u4e00" <= c <= "\u9fa4" else c for c in label)
        for row, label in T3_LABEL_TEXT.items()
    }
    unlocated = ingest_bytes(page(TABLE3, t3_labels=shifted).encode("utf-8"), "unlocated.txt")
    parser_report, parsed = parse_document(unlocated, unlocated.name)
    assert parsed.regions.t3 is None and parser_report.verdict == Verdict.needs_model
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        report = run(unlocated, settings_for(server, tmp_path))
    finally:
        server.close()
    assert len(server.requests) == 1  # one question: the template row of each of the section's 25 lines
    assert report.verdict == Verdict.verified, report.verdict_reason
    assert report.provenance.cells_from_model == 175
    cell = report.cells["applications.granted.natural_person"]
    assert (cell.value, cell.source) == (5, "model") and unlocated.text[slice(*cell.span)] == "5"


def test_auto_mode_does_not_ask_what_only_a_choice_among_the_parsers_readings_could_settle(tmp_path):
    # table 二's 行政规范性文件 printed as one glued run: ten splits, no identity, no prose. A model's pick among
    # them would keep the cells ambiguous, so in auto mode the question is not asked (model mode still asks).
    text = page(TABLE3).replace("行政规范性文件 3 1 20", "行政规范性文件 693665")
    glued = ingest_bytes(text.encode("utf-8"), "glued.txt")
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        auto = run(glued, settings_for(server, tmp_path))
        assert server.requests == []
        model = run(glued, settings_for(server, tmp_path), mode="model")
    finally:
        server.close()
    assert server.requests
    for report in (auto, model):
        cell = report.cells["active.normative_docs.issued"]
        assert report.verdict == Verdict.needs_review and "ambiguous" in cell.flags
    assert "no question it can ask" in auto.verdict_reason


def test_a_collapsed_table_three_is_asked_only_about_its_printed_columns_of_the_rows_the_parser_left_open(tmp_path):
    # table 三 prints its five 法人 columns as one, and two of its labels garbled: the five sub-columns are no
    # open cells (the page cannot print them), so the model is asked only about the garbled rows, their printed
    # 自然人 | 法人 sum | 总计, and the record ends as the parser leaves the same page read whole: every printed
    # cell stood behind, the sub-columns not found (not printed), `incomplete` — never verified.
    table3 = consistent_table3(
        {"granted": [5, 1, 2, 0, 0, 0], "partially_granted": [2, 0, 0, 3, 0, 0]}, new_received=[7, 1, 2, 3, 0, 0]
    )
    garbled = ingest_bytes(collapse_legal_entities(page(table3, t3_labels=GARBLED), table3, GARBLED).encode(), "g.txt")
    whole = ingest_bytes(collapse_legal_entities(page(table3), table3).encode(), "whole.txt")
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        report = run(garbled, settings_for(server, tmp_path))
    finally:
        server.close()
    parser_whole, _ = parse_document(whole, whole.name)
    parser_garbled, _ = parse_document(garbled, garbled.name)
    asked = [user_text(request["body"]) for request in server.requests]
    assert 0 < len(asked) <= 2 and not any("商业企业" in text for text in asked)
    assert all("新收" not in text and "（七）总计" not in text for text in asked)  # rows the parser read
    for row, (natural, total) in {"granted": (5, 8), "partially_granted": (2, 5)}.items():
        cells = [report.cells[f"applications.{row}.{c}"] for c in ("natural_person", "total")]
        assert [c.value for c in cells] == [natural, total] and all("grounded" in c.flags for c in cells)
        assert f"applications.{row}.legal_entities" not in report.cells
    not_found = {k for k, c in report.cells.items() if "not_found" in c.flags}
    assert not_found == {k for k, c in parser_whole.cells.items() if "not_found" in c.flags}
    assert len(not_found) == 125 and all("collapsed" in report.cells[k].flags for k in not_found)
    assert parser_garbled.verdict == Verdict.needs_model  # its garbled rows are open: the model is asked
    for record in (parser_whole, report):
        assert record.verdict == Verdict.incomplete and not record.unverified, record.verdict_reason
        assert "法人或其他组织 columns as one" in record.verdict_reason


def test_model_mode_reads_a_collapsed_table_three_by_its_printed_columns(tmp_path):
    # every row asked (model mode), each as the three numbers the page prints: the model agrees with the parser
    table3 = consistent_table3({"granted": [5, 1, 2, 0, 0, 0]}, new_received=[5, 1, 2, 0, 0, 0])
    whole = ingest_bytes(collapse_legal_entities(page(table3), table3).encode(), "whole.txt")
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        report = run(whole, settings_for(server, tmp_path), mode="model")
    finally:
        server.close()
    asked = [user_text(request["body"]) for request in server.requests if "Table 三" in user_text(request["body"])]
    assert asked and all("Every row has 3 numbers" in text and "商业企业" not in text for text in asked)
    cell = report.cells["applications.granted.total"]
    assert cell.value == 8 and "model_read" in cell.flags and "parser_disagrees" not in cell.flags
    assert "not_found" in report.cells["applications.granted.commercial"].flags


BY_RESULT = "\n".join(
    [
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议 未经复议直接起诉 复议后起诉",
        "结果维恃 1 2 0",
        "结果纠止 0 3 1",
        "其它结杲 2 0 0",
        "尚未审洁 0 1 0",
        "总汁 3 6 1",
    ]
)  # one line per result, its groups across, every result label misread


def by_result_page() -> Document:
    text = page(TABLE3)
    start, end = text.index("四、政府信息公开"), text.index("五、存在的主要问题")
    return ingest_bytes((text[:start] + BY_RESULT + "\n" + text[end:]).encode(), "by-result.txt")


def test_table_four_printed_by_result_under_misread_labels_is_read_by_naming_its_lines(tmp_path):
    # the parser cannot tell which line is which result, and in print order the totals fail: it leaves the
    # table open. The model names each line's result; its groups are the columns.
    doc = by_result_page()
    parser, _ = parse_document(doc, doc.name)
    t4 = [k for k in parser.cells if k.startswith("review_litigation.")]
    assert parser.verdict == Verdict.needs_model and all(parser.cells[k].value is None for k in t4)
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        report = run(doc, settings_for(server, tmp_path))
    finally:
        server.close()
    [asked] = [user_text(r["body"]) for r in server.requests]
    assert "L1 结果维恃: 1 2 0" in asked and "E 总计" in asked and "行政复议" not in asked.split("L1")[1]
    assert report.verdict == Verdict.verified and not report.unverified, report.verdict_reason
    values = {k: report.cells[k].value for k in t4}
    assert values["review_litigation.review.upheld"] == 1 and values["review_litigation.review.total"] == 3
    assert values["review_litigation.litigation_direct.pending"] == 1
    assert values["review_litigation.litigation_after_review.corrected"] == 1
    assert all({"grounded", "realigned"} <= set(report.cells[k].flags) for k in t4)


def test_lines_of_table_four_named_out_of_the_template_order_ground_nothing(tmp_path):
    # the model names 结果维恃 as 结果纠正 and 结果纠止 as 结果维持: the totals still hold, but a placement the page's
    # order does not give is the model's pick, no evidence
    doc = by_result_page()
    swapped = lambda body: {**read_like_a_perfect_model(body), "L1": "B", "L2": "A"}  # noqa: E731
    server = ScriptedServer(script(swapped))
    try:
        report = run(doc, settings_for(server, tmp_path))
    finally:
        server.close()
    t4 = [k for k in report.cells if k.startswith("review_litigation.")]
    assert report.verdict == Verdict.needs_review
    assert all(report.cells[k].value is None and "ungrounded" in report.cells[k].flags for k in t4)


def test_two_rows_the_parser_and_the_model_place_the_other_way_round_stay_open():
    """Each row's other reading alone breaks the column sums, the two together keep them: the identities cannot
    tell the parser's placement from the model's, so neither stands (a row placed one line off in both)."""
    from types import SimpleNamespace

    from nianbao.model.arbitrate import merge
    from nianbao.schemas.keys import T3_COLUMNS, t3_key
    from nianbao.schemas.record import Cell
    from pages import t3_cells

    table = consistent_table3({"unable.needs_creation": [5, 0, 0, 0, 0, 0]}, new_received=[5, 0, 0, 0, 0, 0])
    parser = {k: Cell(value=v, flags=["realigned"]) for k, v in t3_cells(table).items()}
    swap = {
        "unable.needs_creation": "unable.unclear_after_correction",
        "unable.unclear_after_correction": "unable.needs_creation",
    }
    model = {
        t3_key(row, c): Cell(value=parser[t3_key(other, c)].value, source="model", flags=["grounded", "model_read"])
        for row, other in swap.items()
        for c in T3_COLUMNS
    }
    row_of = {k: SimpleNamespace(row=k.split(".", 1)[1].rsplit(".", 1)[0]) for k in parser}
    cells, note, _ = merge(parser, model, row_of)
    differing = [k for k in model if model[k].value != parser[k].value]  # 自然人 and 总计 of each row
    assert len(differing) == 4
    for key in differing:
        assert "parser_disagrees" in cells[key].flags and cells[key].candidates == [parser[key].value, model[key].value]
    assert "cannot decide 2" in note


def test_a_placement_by_order_the_identities_prefer_to_the_parsers_stands_as_the_parsers_own_would():
    """The parser dealt two rows back across their labels one line off (its totals fail); the model named the
    lines in the template's order (grounded, `realigned`) and every identity holds: the model's rows are kept
    `realigned` with no candidates, so they stand where the identities check them. Where the parser's doubt is
    another (a dropped extra value), the model's row stays `ambiguous`."""
    from types import SimpleNamespace

    from nianbao.model.arbitrate import merge
    from nianbao.schemas.keys import T3_COLUMNS, t3_key
    from nianbao.schemas.record import Cell
    from pages import t3_cells

    table = consistent_table3({"unable.needs_creation": [5, 0, 0, 0, 0, 0]}, new_received=[5, 0, 0, 0, 0, 0])
    right = t3_cells(table)
    rows = ("unable.not_held", "unable.needs_creation")  # the parser put needs_creation's numbers a row early
    parser = {k: Cell(value=v) for k, v in right.items()}
    for c in T3_COLUMNS:
        parser[t3_key(rows[0], c)] = Cell(value=right[t3_key(rows[1], c)], flags=["realigned"])
        parser[t3_key(rows[1], c)] = Cell(flags=["not_found"])
    model = {
        t3_key(r, c): Cell(value=right[t3_key(r, c)], source="model", flags=["grounded", "model_read", "realigned"])
        for r in rows
        for c in T3_COLUMNS
    }
    row_of = {k: SimpleNamespace(row=k.split(".", 1)[1].rsplit(".", 1)[0]) for k in parser}
    cells, note, _ = merge(parser, model, row_of)
    assert {k: cells[k].value for k in right} == right and "took the model's reading for 1" in note
    assert not any("ambiguous" in cells[k].flags or cells[k].candidates for k in model)
    dropped = {
        k: c.model_copy(update={"flags": ["dropped_extra_value"]}) if c.flags == ["realigned"] else c
        for k, c in parser.items()
    }
    cells, _, _ = merge(dropped, model, row_of)
    assert "ambiguous" in cells[t3_key(rows[0], "natural_person")].flags


def test_a_column_sum_broken_where_a_glued_run_was_split_the_one_way_its_row_allows_asks_nothing(tmp_path):
    # 予以公开 printed as one glued run, split the one way its row total allows; the agency's own 总计 breaks the
    # column sums. The check suspects the split cells, but a model's other split would stay ambiguous and its
    # agreement changes nothing: no question can change the verdict, so auto mode asks none (it asked 4).
    text = (
        page(TABLE3)
        .replace("（一）予以公开 5 1 0 0 0 0 6", "（一）予以公开 510000 6")
        .replace("（七）总计 7 1 0 0 0 0 8", "（七）总计 7 2 0 0 0 0 9")
    )
    glued = ingest_bytes(text.encode("utf-8"), "glued-source-error.txt")
    parser, _ = parse_document(glued, glued.name)
    assert (
        parser.verdict == Verdict.needs_model
        and "split_from_run" in parser.cells["applications.granted.commercial"].flags
    )
    server = ScriptedServer(script(read_like_a_perfect_model))
    try:
        auto = run(glued, settings_for(server, tmp_path))
    finally:
        server.close()
    assert server.requests == []
    assert auto.verdict == Verdict.needs_review and "no question it can ask" in auto.verdict_reason
    assert auto.cells["applications.granted.commercial"].value == 1


def test_a_table_four_whose_numbers_hold_its_totals_in_no_order_asks_nothing(tmp_path):
    # hzq-2023 through pdftotext: table 四 a number a line in the converter's order, 10 and 1 under a total of 0.
    # A reading the model grounds is an order of the same numbers and fails a total too: nothing to ask. Where
    # some order holds every total, the model is asked.
    from test_table4_flow import flowed

    asked = []
    for printed in ([10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0], [1, 0, 2, 0, 3, 12, 0, 0, 0, 0, 0, 0, 0, 12, 0]):
        boxed = ingest_bytes(flowed(printed).encode("utf-8"), "boxed.txt")
        server = ScriptedServer(script(read_like_a_perfect_model))
        try:
            auto = run(boxed, settings_for(server, tmp_path / str(printed[0])))
        finally:
            server.close()
        asked.append(bool(server.requests))
        assert auto.verdict == Verdict.needs_review
    assert asked == [False, True]
