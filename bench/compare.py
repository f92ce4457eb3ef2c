"""The bot against its floor (a bare Bolt app on the same server stack): ack and modal latency under a burst and a
sustained rate, per-kick costs, memory, start-up and import time, with the targets marked ✅/❌.

    python -m bench.compare [--duration 30] [--rate 20] [--burst 40] [--repeat 5] [--settle 1] [--kicks 10]
                            [--json results.json]

Everything runs on 127.0.0.1 against the local fakes of Slack and IVS Chat (rig/fakes): the bot over HTTP under
gunicorn as the Procfile's web: line runs it and in Socket Mode (`python -m bot`), and bench.floor_app the same
two ways. Each app gets `--settle` seconds after it is ready before the burst, so the burst measures serving, not
the tail of start-up (start-up has its own row; `--settle 0` fires at once). `--repeat N` fires N bursts per start
(default 5): the percentiles pool them, and the target is judged on the median of each burst's own p99, since on
a shared machine one slow burst moves a pooled p99 more than any change to the app does.
`--duration 0` skips the sustained rate (a quick burst-only run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.burst import BY_GROUP, SCENARIOS, Kicks, Sent, percentile, send_command, steady_kicks, world
from bot.__main__ import SOCKET_MODE_CONCURRENCY
from bot.app import LISTENER_THREADS
from rig.fakes.ivschat import FakeIvsChat
from rig.fakes.slack import FakeSlack
from rig.world import BOT_COMMAND, ROOT, Bot, launch, procfile_command

APPS = ("bot", "floor")
MODES = ("http", "socket")
READY_TIMEOUT = 30.0
MODAL_WAIT = 12.0  # longer than any trigger can live, so a missing views.open is a miss, not an impatient bench
SEND_POOL = 40  # load-generator threads; a sustained rate needs only a few at a time

# Targets (the bot's; the floor is the yardstick).
ACK_P99_VS_FLOOR = 1.2
ACK_P99_MAX = 0.300
RSS_MAX_MB = 100.0
READY_MAX = 2.0
SLACK_CALLS_MAX = 3.0


# ----------------------------------------------------------------------------------------------------------------
# Processes: how each app is started, when it is ready, how much memory its process tree took at its peak


def command_line(app: str, mode: str, entry: str = "procfile") -> list[str]:
    """argv for an app; the floor reuses the bot's server stack, only the application differs."""
    if mode == "socket":
        return list(BOT_COMMAND) if app == "bot" else [sys.executable, "-m", "bench.floor_app"]
    if app == "bot" and entry == "python -m bot":
        return list(BOT_COMMAND)  # execs the same gunicorn after checking the settings
    argv = procfile_command("web")  # exactly as deployed
    return argv if app == "bot" else [*argv[:-1], "bench.floor_app:application"]


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the name may contain spaces; the fields after ")" do not


def process_tree(root: int) -> list[int]:
    """root and its descendants, from /proc (psutil is not available): gunicorn's master and its workers."""
    parents = {int(p.name): _parent_of(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(frontier)
    return tree


def status_kb(pid: int, name: str) -> int:
    """A memory figure from /proc/PID/status in kB (VmRSS: resident now); 0 once the process has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_kb(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had, so a peak between samples is not missed."""
    return status_kb(pid, "VmHWM")


def cpu_seconds(root: int) -> float:
    """User + system CPU of the process tree so far: what each command costs the server, whoever waits for it."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


class RssWatch:
    """Keeps each process's VmHWM while it runs, so a worker that exits before the end is still counted."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        self._root, self._interval = root, interval
        self._peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watch", daemon=True)
        self._thread.start()

    def sample(self) -> None:
        for pid in process_tree(self._root):
            self._peaks[pid] = max(self._peaks.get(pid, 0), peak_rss_kb(pid))

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def finish(self) -> list[int]:
        """Per-process peaks in kB, the root first."""
        self.sample()
        self._stop.set()
        self._thread.join(5)
        return [kb for _, kb in sorted(self._peaks.items(), key=lambda item: item[0] != self._root) if kb]


@dataclass
class Served:
    """A running app, how long it took to become ready, and its memory watch."""

    bot: Bot
    ready_s: float
    rss: RssWatch = field(init=False)

    def __post_init__(self) -> None:
        self.rss = RssWatch(self.pid)

    @property
    def pid(self) -> int:
        assert self.bot.process.process is not None
        return self.bot.process.process.pid

    def stop(self) -> list[int]:
        """SIGTERM as a platform would (gunicorn drains); returns the per-process RSS peaks."""
        peaks = self.rss.finish()
        self.bot.process.stop()
        return peaks


def serve(app: str, mode: str, slack: FakeSlack, ivs: FakeIvsChat, workdir: Path, entry: str = "procfile") -> Served:
    """Start one app against the fakes, timing its start to its first HTTP answer or Socket Mode connection."""
    started = time.monotonic()
    bot = launch(
        slack, ivs, mode, workdir, command_line(app, mode, entry), ready_within=READY_TIMEOUT, **BY_GROUP,
        FLOOR_LISTENER_THREADS=str(LISTENER_THREADS), FLOOR_SOCKET_CONCURRENCY=str(SOCKET_MODE_CONCURRENCY),
    )  # fmt: skip
    return Served(bot, time.monotonic() - started)


# ----------------------------------------------------------------------------------------------------------------
# Load: a burst of commands, a sustained rate, and kicks one at a time


@dataclass
class Load:
    """What one phase of commands measured; times in seconds."""

    sent: int
    acks: list[float]
    to_modal: list[float]
    opened: int
    failed_acks: int
    max_send_lag: float = 0.0
    cpu_per_command: float = 0.0  # seconds of the server's CPU, from the first send until every modal opened
    burst_p99s: list[float] = field(default_factory=list)  # each burst's own p99 (its slowest ack but none)


def outcome(slack: FakeSlack, mode: str, sent: list[Sent], acks_before: int, lag: float = 0.0) -> Load:
    """Match each command with its views.open (by trigger) once every trigger has been used or has expired."""
    triggers = {s.trigger_id for s in sent}
    expected = sum(s.ok for s in sent)

    def answered() -> list[Any]:
        return [c for c in slack.calls_to("views.open") if c.params.get("trigger_id") in triggers]

    deadline = time.monotonic() + MODAL_WAIT
    while len(answered()) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    opened = {c.params["trigger_id"]: c for c in answered() if c.ok}
    to_modal = [opened[s.trigger_id].at - s.at for s in sent if s.trigger_id in opened]
    if mode == "socket":
        acks = [a.latency for a in slack.acks[acks_before:]]  # measured by the fake, on receipt of the ack
    else:
        acks = [s.ack for s in sent if s.ok]
    return Load(len(sent), acks, to_modal, len(opened), sum(not s.ok for s in sent), lag)


def burst(bot: Bot, moderators: list[str], repeat: int = 1) -> Load:
    """Every moderator at once (the threads wait at a barrier so the commands leave together), `repeat` times
    half a second apart, pooled."""
    pooled = Load(0, [], [], 0, 0)
    for round_ in range(repeat):
        gate = threading.Barrier(len(moderators), timeout=10)
        acks_before = len(bot.slack.acks)

        def one(n: int) -> Sent:
            gate.wait()
            return send_command(bot, moderators[n], round_ * len(moderators) + n)

        if round_:
            time.sleep(0.5)
        with ThreadPoolExecutor(max_workers=len(moderators)) as pool:
            sent = list(pool.map(one, range(len(moderators))))
        load = outcome(bot.slack, bot.mode, sent, acks_before)
        pooled.sent += load.sent
        pooled.acks += load.acks
        pooled.to_modal += load.to_modal
        pooled.opened += load.opened
        pooled.failed_acks += load.failed_acks
        if load.acks:
            pooled.burst_p99s.append(percentile(load.acks, 99))
    return pooled


def sustained(bot: Bot, moderators: list[str], rate: float, seconds: float) -> Load:
    """`rate` commands a second for `seconds`, each due at start + n/rate on the monotonic clock (no drift);
    bounded by count, and by time in case sends fall behind."""
    count = round(rate * seconds)
    acks_before = len(bot.slack.acks)
    start = time.monotonic()
    hard_stop = start + seconds + 10
    futures, lag = [], 0.0
    with ThreadPoolExecutor(max_workers=SEND_POOL) as pool:
        for n in range(count):
            due = start + n / rate
            while (now := time.monotonic()) < due:
                time.sleep(min(due - now, 0.05))
            if now > hard_stop:
                break
            lag = max(lag, now - due)
            futures.append(pool.submit(send_command, bot, moderators[n % len(moderators)], 1000 + n))
        sent = [f.result() for f in futures]
    return outcome(bot.slack, bot.mode, sent, acks_before, lag)


# ----------------------------------------------------------------------------------------------------------------
# Import time


def _median_wall(argv: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run(argv, env=env, cwd=tempfile.gettempdir(), check=True, capture_output=True, timeout=60)
        times.append(time.monotonic() - started)
    return statistics.median(times)


def _importtime_top(module: str, env: dict[str, str], top: int = 4) -> list[tuple[str, float]]:
    """The heaviest packages under `module` (cumulative ms, -X importtime), to say where its import time goes."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env, cwd=tempfile.gettempdir(), check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    direct = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()[1:]  # after the separator's space, two spaces per level of nesting
            if len(name) - len(name.lstrip()) == 2:
                direct.append((name.strip(), int(parts[1]) / 1000))
    return sorted(direct, key=lambda row: -row[1])[:top]


def import_times(runs: int = 5) -> dict[str, Any]:
    """`python -c "import M"` minus a bare interpreter start, the median of `runs` each; no Slack settings in the
    environment, so the floor's module builds nothing at import."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "IVS_KICK_", "AWS_"))}
    env["PYTHONPATH"] = str(ROOT)
    bare = _median_wall([sys.executable, "-c", "pass"], env, runs)
    figures: dict[str, Any] = {}
    for app, module in (("bot", "bot.app"), ("floor", "bench.floor_app")):
        figures[app] = {
            "ms": (_median_wall([sys.executable, "-c", f"import {module}"], env, runs) - bare) * 1000,
            "module": module,
            "top": _importtime_top(module, env),
        }
    return figures


# ----------------------------------------------------------------------------------------------------------------
# The run


@dataclass
class AppResult:
    """Everything measured for one app in one mode."""

    bursts: dict[str, Load] = field(default_factory=dict)
    sustained: Load | None = None
    kicks: Kicks | None = None
    rss_kb: list[list[int]] = field(default_factory=list)  # per start: per-process peaks, root first
    ready_s: list[float] = field(default_factory=list)


def metered(served: Served, phase: Callable[[], Load]) -> Load:
    """Run a phase of commands and charge the server's CPU over it to each command."""
    before = cpu_seconds(served.pid)
    load = phase()
    load.cpu_per_command = (cpu_seconds(served.pid) - before) / max(load.sent, 1)
    return load


def run(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    moderators = [f"U0MOD{i:03d}" for i in range(args.burst)]
    results: dict[str, AppResult] = {f"{a}/{m}": AppResult() for m in MODES for a in APPS}
    workroot = Path(tempfile.mkdtemp(prefix="ivs-kick-compare-"))
    for mode in MODES:
        for name, scenario in SCENARIOS.items():
            for app in APPS:
                result = results[f"{app}/{mode}"]
                workdir = Path(tempfile.mkdtemp(dir=workroot))  # a fresh case store each start
                with world(scenario, moderators) as (slack, ivs):
                    served = serve(app, mode, slack, ivs, workdir)
                    try:
                        time.sleep(args.settle)
                        result.bursts[name] = metered(served, lambda: burst(served.bot, moderators, args.repeat))
                        if name == "steady" and args.duration > 0:
                            say(f"{app}/{mode}: {args.rate:g}/s for {args.duration:g} s")
                            result.sustained = metered(
                                served,
                                lambda: sustained(served.bot, moderators, args.rate, args.duration),
                            )
                    finally:
                        result.rss_kb.append(served.stop())
                    result.ready_s.append(served.ready_s)
                say(f"{app}/{mode} {name}: done")
        with world({}, moderators) as (slack, ivs):
            served = serve("bot", mode, slack, ivs, Path(tempfile.mkdtemp(dir=workroot)))
            try:
                results[f"bot/{mode}"].kicks = steady_kicks(served.bot, args.kicks)
            finally:
                results[f"bot/{mode}"].rss_kb.append(served.stop())
            results[f"bot/{mode}"].ready_s.append(served.ready_s)
        say(f"bot/{mode} kicks: done")
    exec_ready = []
    for _ in range(2):
        with world({}, moderators) as (slack, ivs):
            served = serve("bot", "http", slack, ivs, Path(tempfile.mkdtemp(dir=workroot)), entry="python -m bot")
            served.stop()
            exec_ready.append(served.ready_s)
    imports = import_times()
    say(f"logs in {workroot}")
    return {"apps": results, "exec_ready": exec_ready, "imports": imports, "args": vars(args)}


# ----------------------------------------------------------------------------------------------------------------
# The table


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def pcts(values: list[float]) -> str:
    return " / ".join(ms(percentile(values, q)) for q in (50, 95, 99)) if values else "—"


def mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def spread(values: list[float]) -> str:
    """Median with its range, for figures sampled once per start."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f}, n={len(values)})"


def rss_mb(result: AppResult) -> tuple[float, str]:
    """The largest whole-tree peak over the app's starts, with its parts (gunicorn: master + worker)."""
    totals = [(sum(parts), parts) for parts in result.rss_kb if parts]
    total, parts = max(totals) if totals else (0, [])
    return total / 1024, " + ".join(f"{kb / 1024:.0f}" for kb in parts)


def table(figures: dict[str, Any]) -> str:
    apps: dict[str, AppResult] = figures["apps"]
    cols = [f"{a}/{m}" for m in MODES for a in APPS]
    rows: list[tuple[str, list[str], str]] = []

    def row(label: str, cell: Callable[[str, AppResult], str], target: str = "") -> None:
        rows.append((label, [cell(c, apps[c]) for c in cols], target))

    def floor_of(col: str) -> AppResult:
        return apps[col.replace("bot/", "floor/")]

    def load_rows(label: str, pick: Callable[[AppResult], Load | None], judged: bool) -> None:
        def ack(col: str, r: AppResult) -> str:
            load = pick(r)
            if load is None:
                return "—"
            text = pcts(load.acks) + (f" ({load.failed_acks} unanswered)" if load.failed_acks else "")
            floor = pick(floor_of(col))
            if not judged or not load.burst_p99s:
                return text
            low, high = min(load.burst_p99s), max(load.burst_p99s)
            text += f"; {ms(statistics.median(load.burst_p99s))} ({ms(low)}–{ms(high)})"
            if not col.startswith("bot/") or floor is None or not floor.burst_p99s:
                return text
            p99, floor_p99 = statistics.median(load.burst_p99s), statistics.median(floor.burst_p99s)
            ok = p99 <= ACK_P99_VS_FLOOR * floor_p99 and max(load.burst_p99s) < ACK_P99_MAX and not load.failed_acks
            return f"{text} {mark(ok)} ({p99 / floor_p99:.2f}×)"

        def modal(col: str, r: AppResult) -> str:
            load = pick(r)
            return "—" if load is None else pcts(load.to_modal)

        def opened(col: str, r: AppResult) -> str:
            load = pick(r)
            if load is None:
                return "—"
            text = f"{load.opened}/{load.sent} ({100 * load.opened / max(load.sent, 1):.0f}%)"
            return f"{text} {mark(load.opened == load.sent)}" if col.startswith("bot/") else text

        target = (
            f"bot's median burst p99 ≤ {ACK_P99_VS_FLOOR}× floor's, every burst's < {ms(ACK_P99_MAX)} ms"
            if judged
            else ""
        )
        row(f"{label}: ack p50 / p95 / p99 (ms)" + ("; p99 per burst: median (min–max)" if judged else ""), ack, target)
        row(f"{label}: command → views.open p50 / p95 / p99 (ms)", modal)
        row(f"{label}: modals opened (views.open ok)", opened, "100%")

        def cpu(col: str, r: AppResult) -> str:
            load = pick(r)
            return "—" if load is None else f"{load.cpu_per_command * 1000:.1f}"

        row(f"{label}: server CPU per command (ms)", cpu)

    def burst_of(name: str) -> Callable[[AppResult], Load | None]:
        return lambda r: r.bursts.get(name)

    repeat = figures["args"]["repeat"]
    times = f" ×{repeat}" if repeat > 1 else ""
    for name in SCENARIOS:
        load_rows(f"burst of {figures['args']['burst']}{times}, {name}", burst_of(name), True)
    if figures["args"]["duration"] > 0:
        load_rows(f"{figures['args']['rate']:g}/s for {figures['args']['duration']:g} s", lambda r: r.sustained, False)

    def kick(cell: Callable[[Kicks], str]) -> Callable[[str, AppResult], str]:
        return lambda col, r: cell(r.kicks) if r.kicks else "—"

    row("kick: submit → DisconnectUser p50 / p95 / p99 (ms)", kick(lambda k: pcts(k.submit_to_aws)))
    row("kick: submit → audit post p50 / p95 / p99 (ms)", kick(lambda k: pcts(k.submit_to_audit)))
    row("kick: AWS calls per kick", kick(lambda k: f"{k.aws:.1f} {mark(k.aws == 1.0)}"), "exactly 1")

    def slack_calls(k: Kicks) -> str:
        retried = f", +{k.slack_limited:.1f} answered 429" if k.slack_limited else ""
        return (
            f"{k.slack:.1f} ({k.slack_web_api:.1f} + {k.slack_replies:.1f}{retried}) {mark(k.slack <= SLACK_CALLS_MAX)}"
        )

    row("kick: Slack calls per kick (Web API + response_url)", kick(slack_calls), f"≤ {SLACK_CALLS_MAX:.0f}")

    def rss(col: str, r: AppResult) -> str:
        total, parts = rss_mb(r)
        judged = f" {mark(total < RSS_MAX_MB)}" if col.startswith("bot/") else ""
        return f"{total:.0f} ({parts}){judged}" if "+" in parts else f"{total:.0f}{judged}"

    row("peak RSS of the process tree, MB (VmHWM; gunicorn: master + worker)", rss, f"< {RSS_MAX_MB:.0f} MB")

    def ready(col: str, r: AppResult) -> str:
        if not r.ready_s:
            return "—"
        judged = f" {mark(statistics.median(r.ready_s) < READY_MAX)}" if col.startswith("bot/") else ""
        return spread(r.ready_s) + judged

    ready_target = f"< {READY_MAX:g} s"
    row("start-up to ready, s (HTTP: Procfile web: → first answer; socket → connected)", ready, ready_target)
    exec_ready = figures["exec_ready"]

    def via_exec(col: str, r: AppResult) -> str:
        if col != "bot/http" or not exec_ready:
            return "—"
        return f"{spread(exec_ready)} {mark(statistics.median(exec_ready) < READY_MAX)}"

    row("start-up to ready, s, HTTP via `python -m bot` (settings, then exec gunicorn)", via_exec, ready_target)
    imports = figures["imports"]
    row(
        "import time of the app module, ms (bot.app / bench.floor_app, minus bare interpreter)",
        lambda col, r: f"{imports[col.split('/')[0]]['ms']:.0f}",
    )

    header = ["figure", "HTTP bot", "HTTP floor", "Socket bot", "Socket floor", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [f"| {label} | {' | '.join(cells)} | {target} |" for label, cells, target in rows]
    return "\n".join(lines)


def notes(figures: dict[str, Any]) -> str:
    """What the table cannot hold: where import time goes, and how far the load generator fell behind."""
    out = []
    for app, info in figures["imports"].items():
        heavy = ", ".join(f"{name} {ms_:.0f}" for name, ms_ in info["top"])
        out.append(f"- `import {info['module']}`, heaviest imports (-X importtime cumulative, ms): {heavy}")
    lags = {col: r.sustained.max_send_lag for col, r in figures["apps"].items() if r.sustained is not None}
    if lags:
        worst = ", ".join(f"{col} {ms(lag)}" for col, lag in lags.items())
        out.append(f"- sustained load: latest send after its due time (ms): {worst}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sustained load (0: skip it)")
    parser.add_argument("--rate", type=float, default=20.0, help="commands per second during the sustained load")
    parser.add_argument("--burst", type=int, default=40, help="commands (and moderators) in a burst")
    parser.add_argument("--repeat", type=int, default=5, help="bursts per start; judged on their median p99")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds between ready and the burst")
    parser.add_argument("--kicks", type=int, default=10, help="kicks measured after the warm-up kick")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    bounded = 0 <= args.duration <= 600 and 0 < args.rate <= 200 and 1 <= args.burst <= 200
    if not bounded or not 1 <= args.repeat <= 20 or not 0 <= args.settle <= 4 or not 1 <= args.kicks <= 100:
        parser.error(
            "keep the load bounded: --duration 0–600, --rate 0–200, --burst 1–200, --repeat 1–20, --settle 0–4 "
            "(the rate-limited scenario's Retry-After is 5 s), --kicks 1–100"
        )
    started = time.monotonic()
    figures = run(args, lambda line: print(f"[{time.monotonic() - started:5.0f} s] {line}", file=sys.stderr))
    print(f"ivs-kick vs a bare Bolt app (the floor), against local fakes; {os.cpu_count()} CPUs\n")
    print(table(figures))
    print()
    print(notes(figures))
    print(f"\n(took {time.monotonic() - started:.0f} s)")
    if args.json:
        raw = {**figures, "apps": {k: asdict(v) for k, v in figures["apps"].items()}}
        args.json.write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
