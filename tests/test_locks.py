"""The lock files deployments and CI install from agree with each other and with pyproject.toml."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    return {canonicalize_name(n): v for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, re.M)}


def hashed_entries(lock: str) -> list[str]:
    return re.findall(
        r"^([A-Za-z0-9_.-]+==\S+) \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", (ROOT / lock).read_text(), re.M
    )


def test_every_locked_package_has_hashes():
    for lock in ("requirements.lock", "requirements-test.lock"):
        assert len(hashed_entries(lock)) == len(pins(lock)) > 0, lock


def test_the_test_lock_pins_every_deployed_package_at_the_same_version():
    deployed, tested = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: tested.get(name) for name in deployed} == deployed


def test_the_locks_satisfy_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, requirements in (
        ("requirements.lock", project["dependencies"]),
        ("requirements-test.lock", project["dependencies"] + project["optional-dependencies"]["test"]),
    ):
        locked = pins(lock)
        for line in requirements:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            assert name in locked and requirement.specifier.contains(locked[name]), (lock, line, locked.get(name))


def test_requirements_txt_installs_the_hash_checked_lock_and_nothing_else():
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert lines == ["-r requirements.lock"]
