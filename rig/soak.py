"""The fault-injection soak behind `python -m bench.soak` and tests/e2e/test_soak.py: kicks while Slack and IVS Chat
misbehave and the bot is SIGKILLed now and then, then the invariants (every submission one case, every case one
audit post, no viewer kicked twice) checked against `python -m bot audit export` and what the fakes saw."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rig.drive import Driver, command_payload, submission_payload
from rig.fakes.ivschat import CHAOS_KINDS as AWS_KINDS
from rig.fakes.ivschat import DisconnectCall, FakeIvsChat
from rig.fakes.slack import CHAOS_KINDS as SLACK_KINDS
from rig.fakes.slack import Call, FakeSlack
from rig.world import AUDIT_CHANNEL, MODERATOR, ROOM, BotProcess, ivs_world, launch, slack_world

CASE_IN_POST = re.compile(r"Case #(\d+) ·")
NOTHING_WAITING = "No audit posts are waiting."
DOUBLE_KICK = (
    "A double kick is a viewer disconnected by two separate DisconnectUser calls for one submission (two "
    "amz-sdk-invocation-ids that both took effect). botocore retrying one call after its answer was lost "
    "(dropped connection, read timeout) can reach IVS Chat twice: that is one call, counted apart."
)
COMMAND_TRIES = 6  # a moderator runs the command again when the dialog does not open
SUBMIT_TRIES = 8  # Slack (or the moderator) sends a submission again when the bot did not acknowledge it
MODAL_WAIT = 5.0  # longer than the trigger's 3 s life: after that the modal cannot open any more
AWS_WAIT = 20.0  # longer than botocore's three tries with backoff, short of a kick stuck on timeouts
GATE_WAIT = 90.0  # a kill and restart take a few seconds; far longer means the bot did not come back


@dataclass(frozen=True)
class Chaos:
    """How hard Slack and IVS Chat misbehave while kicks run."""

    slack_rate: float = 0.15
    slack_kinds: tuple[str, ...] = SLACK_KINDS
    aws_rate: float = 0.1
    aws_kinds: tuple[str, ...] = AWS_KINDS
    slow: tuple[float, float] = (1.0, 3.0)
    response_urls: bool = True


@dataclass(frozen=True)
class Plan:
    """What a soak does: how many kicks, how concurrently, when the bot dies and how the fakes misbehave."""

    kicks: int
    seed: int
    mode: str = "http"
    concurrency: int = 4
    kill_after: tuple[int, ...] = ()  # acknowledged submissions after which the bot is killed
    aim_every: int = 2  # every n-th kill waits for an audit post Slack accepted and the bot has not recorded
    quiet_kills: bool = False  # kill right after a kick's outcome is recorded, with no post in Slack's hands
    chaos: Chaos = Chaos()
    drain_seconds: float = 240.0  # interrupted kicks are posted after a minute of silence; claims lapse in 12 s
    budget_seconds: float = 540.0  # the kicks themselves; anything not attempted by then is a failure


@dataclass
class Submission:
    """One kick as a moderator does it: the command, the modal, the submission, and what it took."""

    index: int
    user: str
    attempted: bool = False
    view_id: str | None = None
    acked: bool = False
    acked_at: float | None = None
    commands: int = 0
    sends: int = 0
    pivot: bool = False


@dataclass
class Crash:
    """One SIGKILL and restart, with where the killed process's log lines end."""

    number: int
    after: int
    aimed: bool
    quiet: bool
    killed_at: float
    restarted_at: float
    log_start: int
    log_end: int
    held_post: Call | None = None
    pivot_case: int | None = None


@dataclass
class Report:
    """The counts a soak prints and the invariants it checks."""

    plan: Plan
    workdir: Path
    seconds: float
    submissions: list[Submission]
    crashes: list[Crash]
    cases: list[dict[str, Any]]
    posts: dict[int, list[Call]]
    pending_output: str
    slack_tally: dict[str, int]
    slack_by_method: dict[str, int]
    aws_tally: dict[str, int]
    took_effect: int
    retried_twice: list[str]
    failures: list[str] = field(default_factory=list)  # invariants that do not hold, with evidence
    window_duplicates: list[int] = field(default_factory=list)  # the README's documented duplicate
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class BotLog:
    """The bot's JSON log lines in its working directory, for evidence and for knowing when it is quiet."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def entries(self, start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(start)
            raw = handle.read(None if end is None else max(0, end - start))
        found = []
        for line in raw.decode(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue  # a line cut short by SIGKILL
        return found

    def cases(self, message: str, start: int = 0, end: int | None = None) -> set[int]:
        return {e["case"] for e in self.entries(start, end) if e.get("msg") == message and "case" in e}

    def times(self, message: str, case: int) -> list[float]:
        """Wall-clock times (epoch seconds) of one message about one case."""
        found = []
        for e in self.entries():
            if e.get("msg") == message and e.get("case") == case:
                try:
                    found.append(datetime.fromisoformat(str(e.get("ts"))).timestamp())
                except ValueError:
                    continue
        return found

    def about(self, case: int, limit: int = 8) -> list[str]:
        lines = [e for e in self.entries() if e.get("case") == case]
        return [json.dumps({k: e[k] for k in e if k not in ("logger",)}, ensure_ascii=False) for e in lines[:limit]]


class Soak:
    """Runs a Plan against the real bot and the fakes, then checks what happened."""

    slack: FakeSlack
    ivs: FakeIvsChat

    def __init__(self, plan: Plan, workdir: Path, progress: Callable[[str], None] = lambda _: None) -> None:
        self.plan, self.workdir, self.say = plan, workdir, progress
        self.log = BotLog(workdir / "bot.log")
        self.submissions = [Submission(i, f"soak-viewer-{plan.seed}-{i:04d}") for i in range(plan.kicks)]
        self.crashes: list[Crash] = []
        self._gate = threading.Event()
        self._lock = threading.Condition()
        self._acked = 0
        self._in_flight = 0
        self._pending_kills = sorted(plan.kill_after)
        self._crash_threads: list[threading.Thread] = []
        self._crash_errors: list[str] = []
        self._process: BotProcess | None = None
        self._driver: Driver | None = None
        self._log_start = 0
        self._deadline = 0.0
        # The fakes time calls with time.monotonic(), the bot's log with the wall clock; this joins the two.
        self._wall_offset = time.time() - time.monotonic()

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        self._deadline = started + self.plan.budget_seconds
        with slack_world() as slack, ivs_world() as ivs:
            self.slack, self.ivs = slack, ivs
            try:
                self._start_bot()
                self._storm(self.plan.seed)
                self._gate.set()
                with ThreadPoolExecutor(self.plan.concurrency, thread_name_prefix="moderator") as pool:
                    list(pool.map(self._kick, self.submissions))
                for thread in self._crash_threads:
                    thread.join(GATE_WAIT)
                slack.calm()
                ivs.calm()
                slack.set_delay("chat.postMessage", 0)
                pending = self._drain()
                return self._report(time.monotonic() - started, pending)
            finally:
                if self._process is not None:
                    self._process.stop()

    def _storm(self, seed: int) -> None:
        chaos = self.plan.chaos
        self.slack.set_chaos(
            seed=seed, rate=chaos.slack_rate, kinds=chaos.slack_kinds, response_urls=chaos.response_urls
        )
        self.ivs.set_chaos(seed=seed, rate=chaos.aws_rate, kinds=chaos.aws_kinds, slow=chaos.slow)

    def _start_bot(self) -> None:
        self._log_start = self.log.size()
        bot = launch(self.slack, self.ivs, self.plan.mode, self.workdir, ready_within=30)
        self._process, self._driver = bot.process, bot.driver

    # -- one moderator's kick --------------------------------------------------------------

    def _kick(self, sub: Submission) -> None:
        if time.monotonic() > self._deadline:
            return  # out of time: reported as not attempted
        sub.attempted = True
        view = self._open_modal(sub, gated=True)
        if view is None:
            return
        self._submit(sub, view, gated=True)
        if sub.acked:
            crashes = len(self.crashes)
            self._note_ack()
            self._wait(lambda: self._reached_aws(sub.user) or len(self.crashes) > crashes, AWS_WAIT)

    def _open_modal(self, sub: Submission, *, gated: bool) -> dict[str, Any] | None:
        for _ in range(COMMAND_TRIES):
            driver = self._through_gate() if gated else self._driver
            assert driver is not None
            trigger_id, response_url = self.slack.new_trigger_id(), self.slack.new_response_url()
            form = command_payload(f"{ROOM} {sub.user} soak", user_id=MODERATOR, trigger_id=trigger_id,
                                   response_url=response_url)  # fmt: skip
            sub.commands += 1
            try:
                driver.command(form)
            except (OSError, AssertionError):
                time.sleep(0.2)  # the bot is down or restarting: the moderator tries again
                continue
            view = self._wait(lambda: self._opened(trigger_id), MODAL_WAIT)
            if view is not None:
                sub.view_id = view["id"]
                return view
        return None

    def _submit(self, sub: Submission, view: dict[str, Any], *, gated: bool) -> None:
        payload = submission_payload(view, user_id=MODERATOR, reason="soak")
        for _ in range(SUBMIT_TRIES):
            driver = self._through_gate() if gated else self._driver
            assert driver is not None
            sub.sends += 1
            with self._submitting():
                try:
                    driver.interaction(payload)
                except (OSError, AssertionError):
                    pass  # not acknowledged: sent again, as Slack and the moderator would
                else:
                    sub.acked, sub.acked_at = True, time.monotonic()
                    return
            time.sleep(0.2)

    def _through_gate(self) -> Driver:
        if not self._gate.wait(GATE_WAIT):
            raise RuntimeError(f"the bot did not come back within {GATE_WAIT}s of a kill; see {self.log.path}")
        assert self._driver is not None
        return self._driver

    @contextmanager
    def _submitting(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
            self._lock.notify_all()
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def _opened(self, trigger_id: str) -> dict[str, Any] | None:
        for call in reversed(self.slack.calls_to("views.open")):
            if call.params.get("trigger_id") == trigger_id and call.ok:
                return call.response["view"]
        return None

    def _reached_aws(self, user: str) -> bool:
        return any(call.user_id == user for call in self.ivs.calls)

    @staticmethod
    def _wait(probe: Callable[[], Any], timeout: float, every: float = 0.02) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = probe()
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(every)

    # -- kills -----------------------------------------------------------------------------

    def _note_ack(self) -> None:
        with self._lock:
            self._acked += 1
            if not self._pending_kills or self._acked < self._pending_kills[0]:
                return
            after = self._pending_kills.pop(0)
            if self.plan.quiet_kills:
                self._gate.clear()  # no new kicks: the quiet kill first waits for the ones under way
        crash = self._crash_quietly if self.plan.quiet_kills else self._crash_abruptly
        thread = threading.Thread(target=self._guarded, args=(crash, after), name=f"kill-after-{after}")
        self._crash_threads.append(thread)
        thread.start()

    def _guarded(self, crash: Callable[[int], None], after: int) -> None:
        try:
            crash(after)
        except Exception as error:  # the soak must report, not hang, when a restart fails
            self._crash_errors.append(f"kill after {after}: {error}")
        finally:
            self._gate.set()

    def _crash_abruptly(self, after: int) -> None:
        """Kill mid-work: every aim_every-th kill once Slack holds an accepted audit post, the others while a
        submission is on its way to the bot (or after 5 s, whichever comes first)."""
        number = len(self.crashes) + 1
        aimed = self.plan.aim_every > 0 and number % self.plan.aim_every == 0
        held = None
        if not aimed:
            with self._lock:
                self._lock.wait_for(lambda: self._in_flight > 0, 5.0)
                self._gate.clear()
        if aimed:
            before = len(self.slack.calls_to("chat.postMessage"))
            self.slack.set_delay("chat.postMessage", 2.0)  # Slack has posted it; the answer is on its way
            held = self._wait(lambda: next((c for c in self.slack.calls_to("chat.postMessage")[before:] if c.ok),
                                           None), 20.0)  # fmt: skip
        self._gate.clear()
        self._kill_and_restart(number, after, aimed=aimed and held is not None, held=held)

    def _crash_quietly(self, after: int) -> None:
        """Kill right after a kick's outcome is recorded, when no audit post can be accepted and unrecorded.

        Submissions stop, the backlog is delivered (Slack calmed), then the audit channel refuses posts while
        one more kick runs; it is killed once that kick's outcome is on record and its first post refused.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: self._in_flight == 0, 30):
                raise RuntimeError("submissions did not settle before the kill")
            acked = self._acked
        self.slack.calm()
        settled = self._wait(lambda: self._delivered_all(acked), 60.0, every=0.5)
        if not settled:
            raise RuntimeError(f"the {acked} kicks before the kill were not all recorded and posted within 60s")
        self.slack.add_channel(AUDIT_CHANNEL, bot_is_member=False)
        known = self.log.cases("kick")
        pivot = Submission(len(self.submissions), f"soak-viewer-{self.plan.seed}-pivot-{after}", pivot=True)
        self.submissions.append(pivot)
        view = self._open_modal(pivot, gated=False)
        if view is None:
            raise RuntimeError("the kill-point kick's modal did not open")
        self._submit(pivot, view, gated=False)
        if not pivot.acked:
            raise RuntimeError("the kill-point kick was not acknowledged")
        case = self._wait(lambda: next(iter(self.log.cases("kick") - known), None), 30.0, every=0.05)
        queued = case is not None and self._wait(lambda: case in self.log.cases("audit post queued"), 30.0)
        if not queued:
            raise RuntimeError("the kill-point kick's outcome or refused audit post never showed in the log")
        self._kill_and_restart(
            len(self.crashes) + 1, after, aimed=False, pivot_case=case,
            before_restart=lambda: self.slack.add_channel(AUDIT_CHANNEL, bot_is_member=True),
        )  # fmt: skip

    def _delivered_all(self, acked: int) -> bool:
        """Every acknowledged kick is on record and posted, as the case store says: a killed process may not
        have written its last log lines."""
        assert self._process is not None
        _, pending, _ = self._process.run_to_exit("audit", "pending")
        if NOTHING_WAITING not in pending:
            return False
        _, exported, _ = self._process.run_to_exit("audit", "export")
        return sum(line.startswith("{") for line in exported.splitlines()) >= acked

    def _kill_and_restart(
        self, number: int, after: int, *, aimed: bool, held: Call | None = None, pivot_case: int | None = None,
        before_restart: Callable[[], None] | None = None,
    ) -> None:  # fmt: skip
        assert self._process is not None
        log_start = self._log_start
        self._process.kill()
        killed_at = time.monotonic()
        log_end = self.log.size()
        self.slack.set_delay("chat.postMessage", 0)
        if before_restart is not None:
            before_restart()
        self.say(f"killed the bot after {after} acknowledged submissions" + (" (aimed at a held post)" * aimed))
        self._start_bot()
        self._storm(self.plan.seed + number)
        self.crashes.append(
            Crash(number, after, aimed, self.plan.quiet_kills, killed_at, time.monotonic(), log_start, log_end,
                  held, pivot_case)
        )  # fmt: skip

    # -- the end ---------------------------------------------------------------------------

    def _drain(self) -> str:
        """Poll `audit pending` until nothing waits (bounded); returns its last output."""
        assert self._process is not None
        deadline = time.monotonic() + self.plan.drain_seconds
        output = ""
        while time.monotonic() < deadline:
            _, output, _ = self._process.run_to_exit("audit", "pending")
            if NOTHING_WAITING in output:
                break
            time.sleep(2.0)
        return output

    def _report(self, seconds: float, pending: str) -> Report:
        assert self._process is not None
        _, exported, _ = self._process.run_to_exit("audit", "export")
        cases = [json.loads(line) for line in exported.splitlines() if line.startswith("{")]
        posts: dict[int, list[Call]] = defaultdict(list)
        for call in self.slack.calls_to("chat.postMessage"):
            found = CASE_IN_POST.search(str(call.params.get("text") or ""))
            if call.ok and found:
                posts[int(found.group(1))].append(call)
        retried = sorted(
            s.user for s in self.submissions
            if self.ivs.disconnect_count(ROOM, s.user) > self.ivs.disconnect_invocations(ROOM, s.user)
        )  # fmt: skip
        slack_faults = self.slack.chaos_log
        report = Report(
            plan=self.plan,
            workdir=self.workdir,
            seconds=seconds,
            submissions=self.submissions,
            crashes=self.crashes,
            cases=cases,
            posts=dict(posts),
            pending_output=pending,
            slack_tally=dict(Counter(f.kind for f in slack_faults)),
            slack_by_method=dict(Counter(f.method for f in slack_faults)),
            aws_tally=self.ivs.chaos_tally(),
            took_effect=len(self.ivs.disconnects()),
            retried_twice=retried,
        )
        report.failures += self._crash_errors
        self._check_cases(report)
        self._check_posts(report)
        self._check_kicks(report)
        if NOTHING_WAITING not in pending:
            report.failures.append(f"audit posts still waiting after {self.plan.drain_seconds:.0f}s:\n{pending}")
        return report

    def _check_cases(self, report: Report) -> None:
        """Exactly one case per acknowledged submission, and no case nobody submitted."""
        by_view: dict[str | None, list[int]] = defaultdict(list)
        for case in report.cases:
            by_view[case.get("submission_key")].append(case["number"])
        views = {s.view_id for s in self.submissions if s.view_id}
        for sub in self.submissions:
            numbers = by_view.get(sub.view_id, []) if sub.view_id else []
            if sub.acked and len(numbers) != 1:
                report.failures.append(
                    f"submission of {sub.user} (view {sub.view_id}) was acknowledged but has {len(numbers)} cases "
                    f"{numbers}{self._timing(sub.acked_at)}"
                )
            elif not sub.acked and sub.view_id and numbers:
                report.notes.append(f"{sub.user}: never acknowledged, yet on record as case {numbers}")
            elif not sub.attempted and not sub.pivot:
                report.failures.append(f"{sub.user}: not attempted within the {self.plan.budget_seconds:.0f}s budget")
            elif not sub.acked:
                report.failures.append(f"{sub.user}: could not be submitted ({sub.commands} commands, {sub.sends} "
                                       "sends); see the bot log")  # fmt: skip
        for key, numbers in by_view.items():
            if key not in views:
                report.failures.append(f"cases {numbers} have submission key {key!r}, which no moderator submitted")

    def _check_posts(self, report: Report) -> None:
        """One accepted audit post per case; a duplicate is tolerated only from the documented kill window."""
        numbers = {case["number"] for case in report.cases}
        held = {id(f.call) for f in self.slack.chaos_log if f.kind == "timeout" and f.call is not None}
        for number in sorted(numbers):
            posts = sorted(report.posts.get(number, []), key=lambda c: c.at)
            if not posts:
                report.failures.append(f"case #{number} has no audit post\n    " + self._evidence(number))
                continue
            causes = [self._why_again(number, earlier, later, held) for earlier, later in zip(posts, posts[1:])]
            if causes and all(cause.startswith("kill window") for cause in causes):
                report.window_duplicates.append(number)
                report.notes.append(f"case #{number} posted {len(posts)} times: " + "; ".join(causes))
            elif causes:
                report.failures.append(
                    f"case #{number} has {len(posts)} audit posts: " + "; ".join(causes) + "\n    "
                    + self._evidence(number)
                )  # fmt: skip
        for number in sorted(set(report.posts) - numbers):
            report.failures.append(f"audit posts name case #{number}, which is not in the store")

    def _why_again(self, number: int, earlier: Call, later: Call, held: set[int]) -> str:
        """Why a case was posted again after `earlier` was accepted.

        The documented kill window: the bot died after Slack accepted the post and before it noted so (its
        process logged neither 'audit posted' nor 'audit post queued' for the case after that moment), and the
        next process posted it again. Anything the bot decided while alive, such as taking an accepted post
        whose answer never came for a failure, is not that window.
        """
        accepted = earlier.at + self._wall_offset
        queued = [
            t for t in self.log.times("audit post queued", number) if accepted <= t <= later.at + self._wall_offset
        ]
        if queued and id(earlier) in held:
            return (
                "answer lost: Slack accepted the post and held its answer past the bot's 10 s timeout; the bot "
                f"logged it as failed {queued[0] - accepted:.1f}s after Slack accepted it and posted again "
                f"{later.at - earlier.at:.1f}s later (undocumented duplicate, no kill involved)"
            )
        if queued:
            return f"the bot logged an accepted post as failed and posted again {later.at - earlier.at:.1f}s later"
        for crash in self.crashes:
            if earlier.at <= crash.killed_at and later.at >= crash.restarted_at:
                if number in self.log.cases("audit posted", crash.log_start, crash.log_end):
                    return f"posted again after kill #{crash.number} although the killed process had recorded it"
                slow = " while Slack still held its answer (timeout fault)" if id(earlier) in held else ""
                return (
                    f"kill window: Slack accepted it {1000 * (crash.killed_at - earlier.at):.0f} ms before kill "
                    f"#{crash.number}{' (aimed)' * crash.aimed}{slow}; the killed process logged neither 'audit "
                    f"posted' nor 'audit post queued' for it after that, and the next process posted it "
                    f"{later.at - crash.restarted_at:.0f}s after restart"
                )
        return f"posted again {later.at - earlier.at:.1f}s later by the same process, with no fault to explain it"

    def _check_kicks(self, report: Report) -> None:
        """Nobody disconnected twice for one submission; every 'kicked' case did disconnect its viewer."""
        status = {case["submission_key"]: case for case in report.cases}
        for sub in self.submissions:
            calls = [c for c in self.ivs.calls if c.user_id == sub.user]
            if self.ivs.disconnect_invocations(ROOM, sub.user) > 1:
                report.failures.append(f"double kick of {sub.user}:\n    " + "\n    ".join(map(_call_line, calls)))
            case = status.get(sub.view_id)
            if case and case["status"] == "kicked" and not self.ivs.disconnect_count(ROOM, sub.user):
                report.failures.append(f"case #{case['number']} says kicked but IVS Chat never disconnected {sub.user}")

    def _timing(self, at: float | None) -> str:
        if at is None:
            return ""
        near = [c for c in self.crashes if abs(c.killed_at - at) < 5]
        return "".join(f"; acknowledged {1000 * (c.killed_at - at):.0f} ms before kill #{c.number}" for c in near)

    def _evidence(self, number: int) -> str:
        return "\n    ".join(self.log.about(number)) or "(no bot log line names this case)"


def _call_line(call: DisconnectCall) -> str:
    return (
        f"DisconnectUser status {call.status} invocation {call.invocation_id} attempt {call.attempt} "
        f"fault {call.fault or '-'} answered {call.answered}"
    )


def kill_points(kicks: int, every: int) -> tuple[int, ...]:
    """After every `every` acknowledged submissions, except at the very end."""
    return tuple(range(every, kicks, every)) if every > 0 else ()


def render(report: Report) -> str:
    """The soak's findings as a person reads them."""
    plan, subs = report.plan, report.submissions
    acked = [s for s in subs if s.acked]
    statuses = Counter(case["status"] for case in report.cases)
    post_counts = Counter(len(report.posts.get(case["number"], [])) for case in report.cases)
    kills = ", ".join(str(c.after) + (" (aimed)" if c.aimed else "") for c in report.crashes) or "none"
    rows = [
        f"ivs-kick soak: {plan.kicks} kicks, seed {plan.seed}, {plan.mode} mode, {plan.concurrency} at a time, "
        f"{report.seconds:.0f} s",
        f"chaos: Slack {plan.chaos.slack_rate:.0%} of calls ({', '.join(plan.chaos.slack_kinds)}), IVS Chat "
        f"{plan.chaos.aws_rate:.0%} of DisconnectUser ({', '.join(plan.chaos.aws_kinds)})",
        f"bot SIGKILLed and restarted after acknowledged submissions: {kills}",
        f"workdir: {report.workdir} (bot.log, ivs-kick.db)",
        "",
        f"  submissions acknowledged                     {len(acked)} of {len(subs)}",
        f"  commands run again (dialog did not open)     {sum(s.commands for s in subs) - len(subs)}",
        f"  submissions sent again (not acknowledged)    {sum(max(0, s.sends - 1) for s in subs)}",
        f"  cases in the store                           {len(report.cases)}  "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        f"  audit posts accepted by Slack                {sum(len(p) for p in report.posts.values())}",
        f"  cases with exactly one post                  {post_counts.get(1, 0)}",
        f"  cases with no post                           {post_counts.get(0, 0)}",
        f"  duplicates from the documented kill window   {len(report.window_duplicates)}"
        + (f"  (cases {', '.join(f'#{n}' for n in report.window_duplicates)})" if report.window_duplicates else ""),
        f"  DisconnectUser requests that took effect     {report.took_effect}",
        f"  viewers disconnected twice by one retried call (not double kicks)  {len(report.retried_twice)}",
        "  audit pending at the end                     "
        + ("nothing waiting" if NOTHING_WAITING in report.pending_output else "STILL WAITING"),
        f"  chaos injected, Slack                        {_tally(report.slack_tally)}",
        f"      by method                                {_tally(report.slack_by_method)}",
        f"  chaos injected, IVS Chat DisconnectUser      {_tally(report.aws_tally)}",
        "",
        DOUBLE_KICK,
    ]
    if report.notes:
        rows += ["", "Notes:"] + [f"  - {note}" for note in report.notes]
    if report.failures:
        rows += ["", f"INVARIANTS VIOLATED ({len(report.failures)}):"] + [f"  - {f}" for f in report.failures]
    rows += ["", "RESULT: " + ("OK" if report.ok else "FAIL")]
    return "\n".join(rows)


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "none"
