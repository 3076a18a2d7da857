"""The on-demand benchmarks still run (at small sizes); their figures are not asserted."""

from __future__ import annotations

from tests.benchmarks import send_bulk


def test_send_bulk_benchmark_runs_and_loses_nobody() -> None:
    report = send_bulk.main(["--quick"])
    assert set(report) == {"a_throughput", "b_paced_500", "c_peak_rss_mb"}
    assert report["a_throughput"]["ratio"] > 0
    paced = report["b_paced_500"]
    assert paced["lost"] == 0 and paced["duplicates"] == 0
    assert paced["busiest_second"] <= 500
    assert set(report["c_peak_rss_mb"]) == {2_000, 20_000}
