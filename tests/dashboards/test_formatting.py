"""Numbers in the metric's unit, as the pages and the XLSX show them."""

from __future__ import annotations

from dashboards.exports.xlsx import number_format
from dashboards.formatting import detail_words, in_unit
from evaluate.metrics import metric_spec


def test_an_error_ratio_reads_as_a_percentage() -> None:
    unit = metric_spec("error_rate").unit  # "error ratio (mean of daily means)"
    assert in_unit(0.0123, unit) == "1.2%" and in_unit(-0.004, unit) == "\u22120.4%"
    assert number_format(unit, "mean").endswith("%")
    assert in_unit(22.0, metric_spec("ticket_resolution_hours").unit) == "22 h"


def test_an_audit_entrys_detail_reads_as_words() -> None:
    assert detail_words({"format": "csv", "api": True, "comment": False, "org": None}) == (
        "format csv; through the API")
    assert detail_words({"version": 2, "sha256": "ab12"}) == "version 2; content hash ab12"
