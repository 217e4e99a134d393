"""Every periodic job ``flask worker`` runs, and how often.

A job runs the same code as the CLI command cron used to run (``invoke``
calls the command itself inside the worker's app context), so the worker and
a hand-run ``flask tickets escalate`` can never drift apart. Each interval is
a config key (``JOB_<NAME>_SECONDS``, portal/config.py).

The outbox is not here: it is delivered continuously beside these
(``portal.notify.worker.Worker``, see ``portal.jobs.cli``).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Job:
    #: Its row in ``job_runs`` and its name in ``flask worker status``.
    name: str
    #: Runs the job in the current app context; returns a one-line summary
    #: (counts only: it is logged).
    run: Callable[[], str]
    #: The config key of its interval in seconds.
    interval_key: str

    def interval(self, config: Mapping) -> int:
        return int(config[self.interval_key])


def invoke(command: click.Command, *args: str) -> str:
    """Run a CLI command's own code with ``args``, defaults as on the command
    line; what it printed, on one line. Raises whatever the command raised,
    and ``RuntimeError`` when it exited with a non-zero code."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = command.main(list(args), prog_name=command.name, standalone_mode=False)
        except SystemExit as exited:  # sys.exit() in a command: not the worker's exit
            code = exited.code
    if isinstance(code, int) and code != 0:
        raise RuntimeError(f"{command.name} exited with code {code}")
    return " | ".join(line for line in out.getvalue().splitlines() if line.strip())


def _escalate() -> str:
    from portal.tickets.cli import escalate

    return invoke(escalate)


def _close_expired() -> str:
    from portal.tickets.cli import close_expired

    return invoke(close_expired)


def _purge_expired() -> str:
    from portal.tickets.cli import purge_expired

    return invoke(purge_expired)


def _purge_failures() -> str:
    from portal.staff.cli import purge_failures

    return invoke(purge_failures)


def _evidence_sweep() -> str:
    from portal.tickets.cli import sweep

    return invoke(sweep)


def _refresh() -> str:
    """The office performance figures, then /stats (which reads the same
    tickets with the same definitions): one command, one tally of the
    tickets for both, one transaction."""
    from portal.stats.cli import refresh_command

    return invoke(refresh_command, "--with-performance")


def _retention() -> str:
    from portal.privacy.retention import run_retention

    counts = run_retention()
    return "retention: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


#: In the order a worker tries them when several are due.
JOBS: tuple[Job, ...] = (
    Job("escalate", _escalate, "JOB_ESCALATE_SECONDS"),
    Job("close-expired", _close_expired, "JOB_CLOSE_EXPIRED_SECONDS"),
    Job("purge-expired", _purge_expired, "JOB_PURGE_EXPIRED_SECONDS"),
    Job("purge-failures", _purge_failures, "JOB_PURGE_FAILURES_SECONDS"),
    Job("evidence-sweep", _evidence_sweep, "JOB_EVIDENCE_SWEEP_SECONDS"),
    Job("refresh", _refresh, "JOB_REFRESH_SECONDS"),
    Job("retention", _retention, "JOB_RETENTION_SECONDS"),
)
