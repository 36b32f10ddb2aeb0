"""What the benchmark reports about its own figures: the /sparql figures of the mix, the
measured causes it writes for missed targets, the CPU time of a command's processes that
the ingest's cause is read from, and the machine's own share of /sparql's added time. (The
benchmark's timings themselves are not tested: they are measured by `python bench/run.py`.)"""

from __future__ import annotations

import os
import sys
import time

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT))

from bench import handoff, pipeline, results
from bench.run import endpoint_figures


def test_endpoint_figures_take_the_median_added_and_the_heavy_ratio():
    added, heavy = endpoint_figures([(1.0, 2.0), (20.0, 22.0), (5.0, 5.5), (12.0, 15.0)])
    assert added == pytest.approx(1.5)  # of 1, 2, 0.5, 3
    assert heavy == pytest.approx(1.25)  # 15/12; 22/20 is lower, 2/1 is not heavy
    assert endpoint_figures([(1.0, 3.0)]) == (2.0, None)


def _run(**summary_over: float) -> tuple[dict, list[dict], dict]:
    mix = [{"query": "point look-up", "direct_ms": 0.5, "policykg_ms": 1.5, "bytes": 400},
           {"query": "citation chain", "direct_ms": 12.0, "policykg_ms": 15.6,
            "bytes": 148_000},
           {"query": "two-hop construct", "direct_ms": 250.0, "policykg_ms": 240.0,
            "bytes": 2_000_000}]
    size = {"size_triples": 1_000_000, "mix": mix, "direct_total_ms": 262.5,
            "peer_total_ms": 2625.0, "speedup_ceiling_direct": 10.0,
            "endpoint_floor_added_ms": 0.7, "endpoint_added_ms_p50_passes": [0.9, 1.1, 1.0],
            "endpoint_ratio_heavy_max_passes": [1.25, 1.35, 1.3]}
    summary = {"size_triples": 1_000_000, "ingest_docs_per_s": 60.0, "load_ratio_vs_raw": 0.9,
               "endpoint_added_ms_p50": 1.0, "endpoint_ratio_heavy_max": 1.3,
               "speedup_vs_rdflib_endpoint_total": 25.0, "queries_slower_than_peer": 0,
               "search_p99_ms": 5.0, "lookup_p99_ms": 5.0, "lookup_doc_p99_ms": 5.0,
               "full_validate_ratio_vs_pyshacl": 0.1, **summary_over}
    ingest = {"cpu_ms_per_doc": {"build": 30.0, "validate": 45.0, "store": 25.0,
                                 "total": 100.0, "documents": 24},
              "ceiling_docs_per_s": 20.0, "cpu_s": 18.0, "seconds": 12.0}
    return summary, [size], ingest


def test_a_missed_target_gets_its_measured_cause_and_a_met_one_none():
    summary, sizes, ingest = _run()
    lines = results.gaps(summary, sizes, ingest)
    assert len(lines) == 1  # only the heavy ratio is missed
    assert lines[0].startswith("**endpoint_ratio_heavy_max** 1.30 against 1.2")
    assert "citation chain" in lines[0] and "3.60 ms added" in lines[0]
    assert "148 KB, where a one-row query adds 0.70 ms" in lines[0]
    assert "1.25, 1.35, 1.30" in lines[0]


def test_the_speed_up_gap_names_what_pyoxigraph_alone_would_reach():
    summary, sizes, ingest = _run(speedup_vs_rdflib_endpoint_total=9.5,
                                  endpoint_ratio_heavy_max=1.1)
    [line] = results.gaps(summary, sizes, ingest)
    assert "9.50 against 20" in line
    assert "would reach 10.0" in line  # 2625 / 262.5
    assert "two-hop construct alone takes 250 ms of it (95%)" in line


def test_the_ingest_gap_gives_cpu_per_step_and_the_ceiling():
    summary, sizes, ingest = _run(ingest_docs_per_s=14.0, endpoint_ratio_heavy_max=1.1)
    [line] = results.gaps(summary, sizes, ingest)
    assert "build 30 ms, validate 45 ms, store 25 ms, 100 ms in all" in line
    assert "at most 20.0 documents/s" in line
    assert "1.50 cores busy" in line  # 18 s of CPU in 12 s


def test_a_missed_target_without_a_measured_cause_says_so():
    summary, sizes, ingest = _run(search_p99_ms=31.0, endpoint_ratio_heavy_max=1.1)
    assert results.gaps(summary, sizes, ingest) == [
        "**search_p99_ms** 31.00 against 20: the benchmark measures no cause for this one."]


def test_the_process_tree_counts_the_cpu_of_children_too():
    # a child that burns ~0.6 s of CPU in a grandchild: both are sampled
    burn = ("import time; t = time.process_time()\n"
            "while time.process_time() - t < 0.6: pass")
    code = (f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}])")
    r = pipeline.run([sys.executable, "-c", code])
    assert r.returncode == 0, r.stderr
    assert 0.45 <= r.cpu_s <= 3.0


def test_results_page_carries_the_gaps_section_only_when_a_target_is_missed(tmp_path):
    def page(**over: float) -> str:
        summary, sizes, ingest = _run(**over)
        ingest.update(docs=200, docs_per_s=16.7, peak_rss_mb=900.0, validate_ms_per_doc=35.0)
        path = tmp_path / "RESULTS.md"
        results.write_results_md(path, "python bench/run.py --full", summary, sizes, ingest,
                                 {"policykg": "0"}, "scaling.png", "results.csv", [])
        return path.read_text(encoding="utf-8")

    missed = page()
    assert "## Missed targets: the gap and its measured cause" in missed
    assert "- **endpoint_ratio_heavy_max** 1.30 against 1.2" in missed
    assert "| citation chain | 148.0 | 12.00 | 15.60 | 3.60 |" in missed
    assert "Missed targets" not in page(endpoint_ratio_heavy_max=1.1)


def _with_machine(**over: float) -> tuple[dict, list[dict], dict]:
    summary, sizes, ingest = _run(**over)
    summary.update(handoff_us_busy=31.0, handoff_us_after_idle=112.0)
    sizes[0].update(floor_server_cpu_ms_busy=0.48, floor_server_cpu_ms_after_pause=0.99,
                    floor_ms_busy=0.77, floor_ms_after_pause=1.71)
    return summary, sizes, ingest


def test_the_machine_share_is_told_once_with_the_sparql_gaps():
    summary, sizes, ingest = _with_machine()  # the heavy ratio alone missed: told there
    [line] = results.gaps(summary, sizes, ingest)
    assert "takes 31 µs back to back and 112 µs when that process has idled 10 ms" in line
    assert "0.48 ms of CPU on a one-row query sent back to back but 0.99 ms" in line
    assert "(0.77 against 1.71 ms for the client)" in line
    both = results.gaps(*_with_machine(endpoint_added_ms_p50=2.3))
    assert len(both) == 2 and "Part of it is the machine's" in both[0]
    assert "Part of it is the machine's" not in both[1]
    summary, sizes, ingest = _run()  # not measured (not Linux): nothing said
    assert "machine's" not in results.gaps(summary, sizes, ingest)[0]


def test_a_hand_off_to_another_process_is_timed():
    us = handoff.pipe_round_trip_us(0.0, rounds=20)
    assert us is not None and 0 < us < 100_000


def test_the_server_cost_reads_the_cpu_of_a_process_main_thread():
    # this process's own main thread, burning ~2 ms of CPU per "request"
    def work() -> None:
        t = time.process_time()
        while time.process_time() - t < 0.002:
            pass

    cost = handoff.server_cost(os.getpid(), work, 0.0, 20)
    assert cost is not None
    assert 1.8 <= cost["cpu_ms"] <= 20 and cost["wall_ms"] >= 1.8
