"""The README tells the truth about how to run the tests and what the code reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_exactly_two_commands_run_then_test():
    run, test = quick_start_commands()
    assert run.endswith("python -m bot") and test.endswith("python -m pytest")


def test_ci_runs_the_readmes_test_command():
    assert quick_start_commands()[1] in (ROOT / ".ci/run").read_text().splitlines()


def test_every_setting_the_code_reads_is_documented():
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    read = set(re.findall(r'"((?:SLACK|IVS_KICK)_[A-Z_]+|PORT|LOG_LEVEL)"', source))
    example = (ROOT / ".env.example").read_text()
    for name in read:
        assert f"`{name}`" in README, name
        assert f"{name}=" in example, name
