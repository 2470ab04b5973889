"""The loaded-machine row's busy loops: started, really busy, and stopped afterwards."""

from __future__ import annotations

import time

from mixedlab.bench._load import cpu_burners, load_average


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, clock ticks


def test_burners_spin_inside_the_block_and_are_gone_after_it():
    with cpu_burners(2, settle=0.5) as procs:
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
        # they burn CPU, not sleep: each gathers CPU time (slowly on a busy machine; a
        # sleeping process never would)
        deadline = time.monotonic() + 120.0
        while not all(_cpu_seconds(p.pid) > 0.1 for p in procs) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(_cpu_seconds(p.pid) > 0.1 for p in procs)
    assert all(p.poll() is not None for p in procs)


def test_no_burners_is_a_no_op_and_load_average_has_three_figures():
    with cpu_burners(0) as procs:
        assert procs == []
    la = load_average()
    assert la is not None and len(la) == 3 and all(v >= 0 for v in la)
