"""tools/groups.py: a killed build takes its workers with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its parent.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


# A stand-in for `sphinx-build -j`: a parent that forks a worker, which blocks.
BUILD = textwrap.dedent(
    """
    import os, sys, time
    worker = os.fork()
    if worker == 0:
        time.sleep(600)
        os._exit(0)
    print(os.getpid(), worker, flush=True)
    time.sleep(600)
    """
)

# What nox does: runs the build, and is itself terminated.
CALLER = textwrap.dedent(
    """
    import subprocess, sys
    sys.path.insert(0, {tools!r})
    from groups import run_in_group
    {run}([sys.executable, "-c", {build!r}], stdout={out!r} and open({out!r}, "w"))
    """
)


@pytest.mark.parametrize("grouped", [True, False], ids=["run_in_group", "control"])
def test_terminating_the_caller_ends_the_workers(tmp_path, grouped):
    out = tmp_path / "worker.pid"
    run = "run_in_group" if grouped else "subprocess.call"
    caller = subprocess.Popen([
        sys.executable, "-c",
        CALLER.format(tools=str(TOOLS), run=run, build=BUILD, out=str(out)),
    ])  # fmt: skip
    deadline = time.monotonic() + 30
    while not (out.exists() and out.read_text().strip()):
        assert time.monotonic() < deadline, "the build never started"
        time.sleep(0.1)
    build, worker = (int(n) for n in out.read_text().split())
    assert _alive(worker)
    caller.send_signal(signal.SIGTERM)
    caller.wait(30)
    time.sleep(0.5)
    try:
        # With run_in_group the worker is gone; without it (the control: a plain
        # subprocess, as nox's session.run was) it survives its killed caller.
        assert _alive(worker) is not grouped
    finally:
        for pid in (build, worker):  # what the control leaves behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
