"""Starts moto_server for the Lethe local cloud.

Two things stock moto_server does not do, and that the local cloud needs:

1. Die with its parent. The launcher exits when its stdin closes (the parent holds the pipe; any exit of the parent,
   a crash included, closes it) and when it is re-parented (the parent process is gone). PR_SET_PDEATHSIG is NOT used:
   it fires when the parent *thread* that forked us exits, and .NET forks from thread-pool threads, which retire when
   idle, so it killed moto in the middle of test runs (measured: silent SIGKILL after bursts of concurrent requests).
2. Run more than one Step Functions execution per state machine. moto 5.2.1 deep-copies the state machine on each
   StartExecution, executions included; after the first run that list holds a live worker thread and an RLock, so every
   later start fails with HTTP 500 "cannot pickle '_thread.RLock' object" (moto issue 10077). The upstream fix gives the
   clone an empty executions list; that is not enough here, because a state machine also holds its backend, and through
   it every other state machine's executions. The patch below gives the clone empty executions (its own and its versions')
   and shares the backend instead of copying it. It is applied only when the installed moto has the bug.

Usage: python3 moto_launcher.py --port PORT [--host 127.0.0.1]
"""

import argparse
import copy
import inspect
import os
import sys
import threading
import time



def die_with_parent() -> None:
    parent = os.getppid()

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os._exit(0)

    def watch_parent() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(1)

    threading.Thread(target=watch_parent, name="lethe-parent-watch", daemon=True).start()
    threading.Thread(target=watch_stdin, name="lethe-stdin-watch", daemon=True).start()


def has_execution_deepcopy_bug(module) -> bool:
    """True when start_execution deep-copies the whole state machine, executions included (moto <= 5.2.1)."""
    source = inspect.getsource(module.StepFunctionsParserBackend.start_execution)
    return "copy.deepcopy(state_machine)" in source and "memo" not in source


class _DeepcopyWithoutExecutions:
    """Stands in for the copy module inside moto's parser models: the clone of a state machine gets no executions."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        memo = {} if memo is None else memo
        backend = getattr(value, "backend", None)
        if backend is not None:
            memo[id(backend)] = backend
        versions = getattr(value, "versions", None)
        holders = [value, *(versions.values() if isinstance(versions, dict) else [])]
        for holder in holders:
            executions = getattr(holder, "executions", None)
            if isinstance(executions, list):
                memo[id(executions)] = []
        return copy.deepcopy(value, memo)


def patch_stepfunctions() -> str:
    from moto.stepfunctions.parser import models

    if not has_execution_deepcopy_bug(models):
        return "not needed"
    models.copy = _DeepcopyWithoutExecutions()
    return "applied"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    die_with_parent()
    status = patch_stepfunctions()
    print(f"lethe-moto-launcher: pid={os.getpid()} stepfunctions-patch={status}", flush=True)

    from moto.server import main as moto_main

    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    main()
