"""The ``pauseable`` command as a shell user meets it: bad usage, pipes, ``--help``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pauseable", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_an_unknown_flag_is_named_as_such() -> None:
    result = _cli("--frobnicate")
    assert result.returncode == 2
    assert "unrecognized arguments: --frobnicate" in result.stderr, result.stderr


def test_no_command_lists_the_commands() -> None:
    result = _cli()
    assert result.returncode == 2
    assert (
        "a command is required: broker, backends, pause, resume, status, control-topic, conformance, demo, bench"
        in result.stderr
    ), result.stderr


def test_a_reader_that_goes_away_ends_the_listing_without_a_traceback() -> None:
    """``pauseable backends --json | head -1``: the pipe closes before the listing is written."""
    with subprocess.Popen(
        [sys.executable, "-m", "pauseable", "backends", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # before the command has imported its plugins, let alone printed
        err = process.stderr.read()
        status = process.wait(timeout=60)
    assert status == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["broker", "start"], "--timeout TIMEOUT seconds to wait for it to answer (default: 120.0)"),
        (["demo"], "(default: skip-pause-window)"),
    ],
)
def test_help_shows_the_defaults(command: list[str], shown: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pauseable", *command, "--help"],
        capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert shown in " ".join(result.stdout.split()), result.stdout
    assert "(default: None)" not in result.stdout and "(default: False)" not in result.stdout
