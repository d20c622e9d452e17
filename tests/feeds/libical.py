"""Read a feed with libical (Debian's libical-dev) through the small C reader in vendor/read_with_libical.c,
compiled once per test session."""

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

SOURCE = Path(__file__).parent / "vendor" / "read_with_libical.c"


@dataclass(frozen=True)
class LibicalReading:
    """What libical reads of a feed: each event's UID -> (start, end, TZID), instants in UTC, and every
    error its parser and its restriction checks (icalrestriction_check) raised, as "COMPONENT: text"."""

    events: dict[str, tuple[datetime, datetime, str | None]]
    errors: list[str]


def _link_flags() -> list[str]:
    pkg_config = shutil.which("pkg-config")
    if pkg_config is not None:
        found = subprocess.run(
            [pkg_config, "--cflags", "--libs", "libical"], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            return found.stdout.split()
    return ["-lical"]


@pytest.fixture(scope="session")
def libical_reader(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reader, built with gcc against the machine's libical."""
    gcc = shutil.which("gcc")
    if gcc is None:
        skip_or_fail("gcc is not installed: the feeds cannot be read with libical")
    if not Path("/usr/include/libical/ical.h").exists():
        skip_or_fail("libical-dev is not installed: the feeds cannot be read with libical")
    reader = tmp_path_factory.mktemp("libical") / "read_with_libical"
    built = subprocess.run(
        [gcc, "-std=c99", "-Wall", "-Werror", "-o", str(reader), str(SOURCE), *_link_flags()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return reader


def read_with_libical(reader: Path, body: bytes, directory: Path) -> LibicalReading:
    """Runs the reader on a feed's bytes (written to a file in `directory`)."""
    feed = directory / "feed.ics"
    feed.write_bytes(body)
    done = subprocess.run([str(reader), str(feed)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    events, errors = {}, []
    for line in done.stdout.splitlines():
        kind, *fields = line.split("\t")
        if kind == "EVENT":
            uid, start, end, tzid = fields
            events[uid] = (
                datetime.fromtimestamp(int(start), UTC),
                datetime.fromtimestamp(int(end), UTC),
                tzid or None,
            )
        else:
            component, text = fields
            errors.append(f"{component}: {text}")
    return LibicalReading(events=events, errors=errors)
