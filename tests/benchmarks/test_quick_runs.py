"""The on-demand benchmarks still run (at small sizes); their figures are not asserted.

Not part of the default suite (they time whole processes, which a loaded machine slows):
run them on demand with `pytest tests/benchmarks`.
"""

from __future__ import annotations

import pytest

from tests.benchmarks import scale, send_bulk

pytestmark = pytest.mark.benchmark


def test_send_bulk_benchmark_runs_and_loses_nobody() -> None:
    report = send_bulk.main(["--quick"])
    assert set(report) == {"a_throughput", "b_paced_500", "c_peak_rss_mb"}
    assert report["a_throughput"]["ratio"] > 0
    paced = report["b_paced_500"]
    assert paced["lost"] == 0 and paced["duplicates"] == 0
    assert paced["busiest_second"] <= 500
    assert set(report["c_peak_rss_mb"]) == {2_000, 20_000}


def test_scale_benchmark_runs_converges_and_shows_no_throttling_error() -> None:
    report = scale.main(["--quick"])
    plan, apply = report["plan_no_changes"], report["apply_from_nothing"]
    assert plan["exit_code"] == 0 and plan["throttling_errors_shown"] == 0
    assert apply["exit_code"] == 0 and apply["plan_after_apply_exit"] == 0
    assert apply["at_the_floor"]  # one create per resource, nothing more
