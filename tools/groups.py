"""Run a command in a process group of its own and end the whole group with it.

``sphinx-build -j auto`` forks worker processes, and each starts Jupyter
kernels; interrupting or killing only the parent left the workers blocked
forever (about 1 GB). Here the command leads a new session: Ctrl-C (SIGINT
to the terminal's group, which no longer includes the build) or SIGTERM to
the caller ends the command's whole group, workers included; kernels notice
their parent is gone and exit (ipykernel's parent poller).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: handled like Ctrl-C, so the same clean-up runs."""


def _raise_terminated(signum, frame):
    raise Terminated


def end_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to the process's group, then SIGKILL to what is left after ``grace`` s."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; others of its group may still be running.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return


def run_in_group(command: list[str], **popen) -> int:
    """Run ``command`` as the leader of a new process group; return its exit code.

    An interrupt (KeyboardInterrupt or SIGTERM) while it runs ends the whole
    group before it propagates; so does the command's own exit, which reaps
    any worker it left behind.
    """
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    process = subprocess.Popen(command, start_new_session=True, **popen)
    try:
        return process.wait()
    except KeyboardInterrupt:
        end_group(process)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        with contextlib.suppress(ProcessLookupError):  # stragglers of a finished build
            os.killpg(process.pid, signal.SIGKILL)
