#!/usr/bin/env python3
"""Plain-Python baseline of Firebreak's tabletop-exercise Monte Carlo (`drill stats`).

Standard library + PyYAML only. Written from the rules in
shared/spec/playbook-format.md and shared/spec/scenario-format.md (Semantics), for a
side-by-side benchmark with the Swift engine; it is not part of the product.

    python3 drill_stats.py SCENARIO.yaml [--playbooks DIR] [--runs N] [--seed S]
    python3 drill_stats.py SCENARIO.yaml --playbooks DIR --single     # one run, no delays, JSON

The wall time printed (`python: N runs in X.XXX s`) covers the run loop only: file
loading, compiling and the summary are outside it.

Inject `window`s are drawn as Firebreak draws them: per run, after the action delays, from
the same generator (only when some inject has one), each expectation measured from its
inject's delivery. Not modelled: statements, informs, duties, carried steps, contingency
`after`.

`--counterfactual` also plays what `firebreak drill stats` plays besides the runs (timed in
the same loop): per role with a delay, the first min(runs, 2000) runs again with that role's
delays zeroed, each run only until every expectation is settled, for the delay cost per role
(scaled to all runs); and the playbook itself (every action at its scripted time): one run
counted for each when no inject has a window, else the sample again with every delay zeroed.
"""

import argparse
import json
import math
import os
import random
import re
import sys
import time

import yaml


# ---------------------------------------------------------------------------
# YAML: YAML 1.1 would read `on`, `off`, `yes`, `no` as booleans; Firebreak's files use
# `on:` as a key, so only true/false are booleans here.


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)


class SpecError(Exception):
    pass


# ---------------------------------------------------------------------------
# Durations: <n>d, <n>h, <n>m, <n>s concatenated in that order; zero is an error
# (except where a time of day `at: 0m` is allowed).

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def duration(value, what, allow_zero=False):
    text = str(value)
    m = _DURATION.match(text)
    if not text or not m:
        raise SpecError(f"{what}: bad duration {text!r}")
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    seconds = ((d * 24 + h) * 60 + mi) * 60 + s
    if seconds == 0 and not allow_zero:
        raise SpecError(f"{what}: zero duration")
    return seconds


# ---------------------------------------------------------------------------
# Playbook, compiled to indices.


class Step:
    __slots__ = ("id", "owner", "due", "needs", "optional", "choice_events", "options", "escalates_to", "index")

    def __init__(self, index, id, owner, due, needs, optional, choice_events, options, escalates_to):
        self.index = index
        self.id = id
        self.owner = owner
        self.due = due                      # seconds after entering, or None
        self.needs = needs                  # step indices in the same state
        self.optional = optional
        self.choice_events = choice_events  # option -> event, or None
        self.options = options              # list of options, or None (not a decision)
        self.escalates_to = escalates_to    # owner role's escalates-to, or None


class State:
    __slots__ = ("id", "index", "final", "steps", "on", "timer", "dues")

    def __init__(self, id, index):
        self.id = id
        self.index = index
        self.final = False
        self.steps = []
        self.on = {}        # event -> (target index, guard); guard None | "all" | [step indices]
        self.timer = None   # earliest `after`: (seconds, target index)
        self.dues = []      # (step index, due) for steps with a due, step order


class Playbook:
    def __init__(self, doc, path):
        if not isinstance(doc, dict):
            raise SpecError(f"{path}: not a mapping")
        if doc.get("firebreak") != 1:
            raise SpecError(f"{path}: firebreak must be 1")
        self.id = doc["id"]
        roles = doc["roles"]
        self.roles = {rid: (r or {}).get("escalates-to") for rid, r in roles.items()}
        for rid, up in self.roles.items():
            if up is not None and up not in self.roles:
                raise SpecError(f"{path}: role {rid} escalates to unknown role {up}")
        self.commander = doc["commander"]
        states_doc = doc["states"]
        self.states = [State(sid, i) for i, sid in enumerate(states_doc)]
        self.state_index = {s.id: s.index for s in self.states}
        self.step_location = {}  # step id -> (state index, step index)
        if doc["start"] not in self.state_index:
            raise SpecError(f"{path}: unknown start state {doc['start']}")
        self.start = self.state_index[doc["start"]]

        # Steps first, so guards and needs can name them.
        for state in self.states:
            sdoc = states_doc[state.id] or {}
            state.final = bool(sdoc.get("final", False))
            local = {}
            for i, st in enumerate(sdoc.get("steps") or []):
                local[st["id"]] = i
                if st["id"] in self.step_location:
                    raise SpecError(f"{path}: duplicate step {st['id']}")
                self.step_location[st["id"]] = (state.index, i)
            for i, st in enumerate(sdoc.get("steps") or []):
                owner = st["owner"]
                if owner not in self.roles:
                    raise SpecError(f"{path}: step {st['id']}: unknown owner {owner}")
                due = duration(st["due"], f"{path}: step {st['id']} due") if "due" in st else None
                needs = []
                for n in st.get("needs") or []:
                    if n not in local:
                        raise SpecError(f"{path}: step {st['id']} needs {n}, not a step of state {state.id}")
                    needs.append(local[n])
                choices = st.get("choices")
                choice_events, options = None, None
                if isinstance(choices, dict):
                    choice_events = {str(k): str(v) for k, v in choices.items()}
                    options = list(choice_events)
                elif isinstance(choices, list):
                    options = [str(o) for o in choices]
                state.steps.append(Step(i, st["id"], owner, due, needs, bool(st.get("optional", False)),
                                        choice_events, options, self.roles[owner]))
            state.dues = [(s.index, s.due) for s in state.steps if s.due is not None]

        def target(value, where, local_steps, top):
            if isinstance(value, dict):
                to, when = value["to"], value.get("when")
            else:
                to, when = value, None
            if to not in self.state_index:
                raise SpecError(f"{path}: {where}: unknown state {to}")
            if when is None:
                guard = None
            elif when == "all-done":
                guard = "all"
            elif isinstance(when, list) and not top:
                guard = []
                for sid in when:
                    if sid not in local_steps:
                        raise SpecError(f"{path}: {where}: guard names {sid}, not a step of this state")
                    guard.append(local_steps[sid])
            else:
                raise SpecError(f"{path}: {where}: bad guard {when!r}")
            return (self.state_index[to], guard)

        self.top_on = {str(ev): target(v, f"on.{ev}", {}, True) for ev, v in (doc.get("on") or {}).items()}
        for state in self.states:
            sdoc = states_doc[state.id] or {}
            local_steps = {s.id: s.index for s in state.steps}
            state.on = {str(ev): target(v, f"{state.id}.on.{ev}", local_steps, False)
                        for ev, v in (sdoc.get("on") or {}).items()}
            timers = []
            for k, (d, to) in enumerate((sdoc.get("after") or {}).items()):
                if to not in self.state_index:
                    raise SpecError(f"{path}: {state.id}.after: unknown state {to}")
                timers.append((duration(d, f"{path}: {state.id}.after"), k, self.state_index[to]))
            if timers:
                secs, _, to = min(timers)  # the earliest timer fires (file order on a tie)
                state.timer = (secs, to)
            for s in state.steps:
                for ev in (s.choice_events or {}).values():
                    if self.transition(ev, state.index) is None:
                        raise SpecError(f"{path}: step {s.id}: choice event {ev} not in {state.id}.on or top-level on")

    def transition(self, event, state_index):
        """The (target, guard) of `event` from the state, or None. A state's own entry wins."""
        state = self.states[state_index]
        if state.final:
            return None
        t = state.on.get(event)
        if t is None:
            t = self.top_on.get(event)
        return t

    def events(self):
        names = set(self.top_on)
        for s in self.states:
            names.update(s.on)
            for st in s.steps:
                names.update((st.choice_events or {}).values())
        return names


# ---------------------------------------------------------------------------
# Scenario.

DONE, SKIP, FIRE, NOTE = 0, 1, 2, 3


class Scenario:
    def __init__(self, doc, path, playbook):
        if not isinstance(doc, dict) or doc.get("firebreak") != 1:
            raise SpecError(f"{path}: not a firebreak 1 scenario")
        self.id = doc["id"]
        self.playbook_id = doc["playbook"]
        pb = playbook
        roles = set(pb.roles)
        events = pb.events()

        def check_step(s, where):
            if s not in pb.step_location:
                raise SpecError(f"{path}: {where}: no step {s} in playbook {pb.id}")

        def check_event(e, where):
            if e not in events:
                raise SpecError(f"{path}: {where}: no event {e} in playbook {pb.id}")

        # injects: (at, file index, id, fire); windows: per inject, its window in seconds (0: none)
        self.injects = []
        self.windows = []
        # expectations in file order: dict(inject, kind, target, within, deadline, contingency_fire, has_contingency)
        self.expectations = []
        for i, inj in enumerate(doc["injects"]):
            at = duration(inj["at"], f"{path}: inject {i} at", allow_zero=True)
            fire = inj.get("fire")
            if fire is not None:
                check_event(fire, f"inject {i}")
            self.injects.append((at, i, inj.get("id"), fire))
            # window: delivered at a uniform draw from [at, at + window] per run (drill stats); at `at` in a single run
            self.windows.append(duration(inj["window"], f"{path}: inject {i} window", allow_zero=True) if "window" in inj else 0)
            for j, ex in enumerate(inj.get("expect") or []):
                within = duration(ex["within"], f"{path}: inject {i} expect {j} within")
                if "done" in ex:
                    kind, target = "done", ex["done"]
                    check_step(target, f"inject {i} expect {j}")
                else:
                    kind, target = "state", ex["state"]
                    if target not in pb.state_index:
                        raise SpecError(f"{path}: inject {i} expect {j}: no state {target}")
                contingency = ex.get("else")
                cfire = None
                if contingency is not None:
                    cfire = contingency.get("fire")
                    if cfire is not None:
                        check_event(cfire, f"inject {i} expect {j} else")
                self.expectations.append({
                    "inject": inj.get("id") or f"#{i + 1}", "inject_index": i, "index": j,
                    "kind": kind, "target": target, "within": within, "deadline": at + within,
                    "has_contingency": contingency is not None, "contingency_fire": cfire,
                })

        # actions: (at, role, kind, arg, choice)
        self.actions = []
        for k, a in enumerate(doc.get("actions") or []):
            at = duration(a["at"], f"{path}: action {k} at", allow_zero=True)
            by = a["by"]
            if by not in roles:
                raise SpecError(f"{path}: action {k}: no role {by}")
            moves = [m for m in ("done", "skip", "fire", "note") if m in a]
            if len(moves) != 1:
                raise SpecError(f"{path}: action {k}: exactly one of done, skip, fire, note")
            move = moves[0]
            choice = a.get("choice")
            if move == "done":
                check_step(a["done"], f"action {k}")
                if choice is not None:
                    si, ti = pb.step_location[a["done"]]
                    opts = pb.states[si].steps[ti].options
                    if opts is None or str(choice) not in opts:
                        raise SpecError(f"{path}: action {k}: no choice {choice} for step {a['done']}")
                    choice = str(choice)
                self.actions.append((at, by, DONE, a["done"], choice))
            elif move == "skip":
                check_step(a["skip"], f"action {k}")
                if not a.get("reason"):
                    raise SpecError(f"{path}: action {k}: skip needs a reason")
                self.actions.append((at, by, SKIP, a["skip"], None))
            elif move == "fire":
                check_event(a["fire"], f"action {k}")
                self.actions.append((at, by, FIRE, str(a["fire"]), None))
            else:
                self.actions.append((at, by, NOTE, a["note"], None))

        self.variability = {}
        for role, d in (doc.get("variability") or {}).items():
            if role != "default" and role not in roles:
                raise SpecError(f"{path}: variability: no role {role}")
            self.variability[role] = duration(d, f"{path}: variability {role}")
        self.end = duration(doc["end"], f"{path}: end") if "end" in doc else 86400

    def variability_for(self, role):
        v = self.variability.get(role)
        if v is None:
            v = self.variability.get("default", 0)
        return v


# ---------------------------------------------------------------------------
# One exercise on the virtual clock (seconds from T+0).

OPEN, DONE_ST, SKIPPED_ST = 0, 1, 2


class Exercise:
    """The incident state machine plus the exercise loop. No event log, just the facts
    the scoring needs (first done / first entered per id, step rounds, close)."""

    def __init__(self, pb, sc, delays=None, trace=False, windows=None):
        self.pb = pb
        self.sc = sc
        self.trace = [] if trace else None
        self.closed_at = None
        self.rounds = [0] * len(pb.states)
        self.first_done = {}
        self.first_entered = {}
        self.step_on_time = {}   # step id -> 1 on time in every round, 0 otherwise
        self.step_rounds = []    # (step, state, round, due_at, status, done_at) when tracing
        self.refusals = 0
        self.overdues = 0
        self.escalations = 0
        self.now = 0
        n = len(sc.actions)
        if delays is None:
            delays = [0] * n
        self.action_at = [sc.actions[k][0] + delays[k] for k in range(n)]
        # this run's delivery of each inject, and the deadline of each expectation, measured from it
        self.inject_at = [sc.injects[i][0] + (windows[i] if windows else 0) for i in range(len(sc.injects))]
        self.deadline = [self.inject_at[ex["inject_index"]] + ex["within"] for ex in sc.expectations]
        self.applied_at = [None] * n
        self.last_refusal = [None] * n
        self.state = None
        self._enter(pb.start, 0)

    # -- tracing -----------------------------------------------------------
    def _log(self, t, *what):
        if self.trace is not None:
            self.trace.append((t,) + what)

    # -- state machine -----------------------------------------------------
    def _finish_round(self):
        """Scores the steps of the round being left (or current at the end)."""
        st = self.pb.states[self.state]
        entered = self.entered_at
        status, done_at = self.status, self.done_at
        for s in st.steps:
            i = s.index
            ok = 1 if status[i] == DONE_ST and (s.due is None or done_at[i] <= entered + s.due) else 0
            prev = self.step_on_time.get(s.id)
            self.step_on_time[s.id] = ok if prev is None else min(prev, ok)
            if self.trace is not None:
                label = ("on-time" if ok else "late") if status[i] == DONE_ST else (
                    "skipped" if status[i] == SKIPPED_ST else "not-done")
                self.step_rounds.append({
                    "id": s.id, "state": st.id, "round": self.rounds[self.state],
                    "status": label, "dueSeconds": None if s.due is None else entered + s.due,
                    "doneAtSeconds": done_at[i] if status[i] == DONE_ST else None})

    def _enter(self, target, t):
        if self.state is not None:
            self._finish_round()
        st = self.pb.states[target]
        self.state = target
        self.entered_at = t
        self.rounds[target] += 1
        n = len(st.steps)
        self.status = [OPEN] * n
        self.done_at = [None] * n
        self.overdue = [False] * n
        if st.id not in self.first_entered:
            self.first_entered[st.id] = t
        self._log(t, "entered", st.id, self.rounds[target])
        if st.final:
            self.closed_at = t
            self._log(t, "closed")

    def _fire_refusal(self, event, settling=None):
        if self.closed_at is not None:
            return "the incident is closed"
        tr = self.pb.transition(event, self.state)
        if tr is None:
            return f"event '{event}' is not possible in state '{self.pb.states[self.state].id}'"
        guard = tr[1]
        if guard is None:
            return None
        steps = self.pb.states[self.state].steps
        required = [s.index for s in steps if not s.optional] if guard == "all" else guard
        status = self.status
        open_ = [steps[i].id for i in required if status[i] == OPEN and i != settling]
        if open_:
            return f"'{event}' needs steps done; still open: {open_}"
        return None

    def _fire(self, event, t):
        target = self.pb.transition(event, self.state)[0]
        self._log(t, "fired", event)
        self._enter(target, t)

    def _active_step(self, step_id):
        loc = self.pb.step_location.get(step_id)
        if loc is None:
            return None, f"no step '{step_id}'"
        if loc[0] != self.state:
            return None, f"step '{step_id}' is not active in state '{self.pb.states[self.state].id}'"
        if self.status[loc[1]] != OPEN:
            return None, f"step '{step_id}' is already settled in this round"
        return self.pb.states[self.state].steps[loc[1]], None

    def perform(self, kind, arg, choice, t):
        """Applies one move at t; returns None, or the reason it was refused (nothing changed)."""
        if self.closed_at is not None and kind != NOTE:
            return "the incident is closed"
        if kind == DONE:
            step, why = self._active_step(arg)
            if step is None:
                return why
            status = self.status
            open_needs = [self.pb.states[self.state].steps[n].id for n in step.needs if status[n] == OPEN]
            if open_needs:
                return f"step '{arg}' needs {open_needs} done or skipped first"
            event = None
            if step.options is None:
                if choice is not None:
                    return f"step '{arg}' is not a decision"
            else:
                if choice is None:
                    return f"step '{arg}' is a decision; a choice is required"
                if choice not in step.options:
                    return f"step '{arg}' has no option '{choice}'"
                if step.choice_events is not None:
                    event = step.choice_events[choice]
            if event is not None:
                # One move: the event is checked (with this step settled) before anything is recorded.
                why = self._fire_refusal(event, settling=step.index)
                if why is not None:
                    return why
            status[step.index] = DONE_ST
            self.done_at[step.index] = t
            if arg not in self.first_done:
                self.first_done[arg] = t
            self._log(t, "done", arg, choice)
            if event is not None:
                self._fire(event, t)
            return None
        if kind == SKIP:
            step, why = self._active_step(arg)
            if step is None:
                return why
            self.status[step.index] = SKIPPED_ST
            self._log(t, "skipped", arg)
            return None
        if kind == FIRE:
            why = self._fire_refusal(arg)
            if why is not None:
                return why
            self._fire(arg, t)
            return None
        self._log(t, "note")
        return None

    def next_due(self):
        if self.closed_at is not None:
            return None
        st = self.pb.states[self.state]
        entered = self.entered_at
        status, overdue = self.status, self.overdue
        nxt = None
        for i, due in st.dues:
            if status[i] == OPEN and not overdue[i]:
                d = entered + due
                if nxt is None or d < nxt:
                    nxt = d
        if st.timer is not None:
            d = entered + st.timer[0]
            if nxt is None or d < nxt:
                nxt = d
        return nxt

    def advance(self, t):
        """Time-driven events due up to and including t, each at the time it was due: overdue
        steps and their escalations (step order), then the timer. Returns whether any happened."""
        changed = False
        while True:
            due = self.next_due()
            if due is None or due > t:
                return changed
            changed = True
            st = self.pb.states[self.state]
            entered = self.entered_at
            status, overdue = self.status, self.overdue
            for i, d in st.dues:
                if entered + d == due and status[i] == OPEN and not overdue[i]:
                    overdue[i] = True
                    self.overdues += 1
                    self._log(due, "overdue", st.steps[i].id)
                    up = st.steps[i].escalates_to
                    if up is not None:
                        self.escalations += 1
                        self._log(due, "escalated", st.steps[i].id, up)
            if st.timer is not None and entered + st.timer[0] == due:
                self._log(due, "timer", st.id)
                self._enter(st.timer[1], due)

    # -- exercise loop -----------------------------------------------------
    def _deliver_fire(self, event, t):
        why = self.perform(FIRE, event, None, t)
        if why is None:
            self._retry(t)
        else:
            self.refusals += 1
            self._log(t, "refused", f"inject fires '{event}'", why)

    def _attempt(self, k, t, first):
        _, _, kind, arg, choice = self.sc.actions[k]
        why = self.perform(kind, arg, choice, t)
        if why is None:
            self.applied_at[k] = t
            self.last_refusal[k] = None
            return True
        self.last_refusal[k] = why
        if first:
            self.refusals += 1
            self._log(t, "refused", k, why)
        return False

    def _retry(self, t):
        pending = self.pending
        if self.closed_at is not None:
            return
        while pending:
            for pos, k in enumerate(pending):
                if self._attempt(k, t, False):
                    del pending[pos]
                    break
            else:
                return

    def met(self, ex, upto):
        happened = (self.first_done if ex["kind"] == "done" else self.first_entered).get(ex["target"])
        return happened is not None and happened <= upto

    def settled(self):
        """Whether every expectation's result is known at `now`: it happened by its deadline, or the deadline passed."""
        for n, ex in enumerate(self.sc.expectations):
            if self.now <= self.deadline[n] and not self.met(ex, self.deadline[n]):
                return False
        return True

    def run(self, until_settled=False):
        sc = self.sc
        end = sc.end
        injects = sorted((self.inject_at[i],) + sc.injects[i][1:] for i in range(len(sc.injects)))  # (at, file index, ...)
        actions = sorted(range(len(sc.actions)), key=lambda k: (self.action_at[k], k))
        deadlines = sorted((self.deadline[n], ex["inject_index"], ex["index"], n)
                           for n, ex in enumerate(sc.expectations) if ex["has_contingency"])
        self.delivered = set()
        self.pending = []
        ni = na = nd = 0
        action_at = self.action_at
        big = float("inf")
        while self.closed_at is None:
            if until_settled and self.settled():
                return self
            t = big
            if ni < len(injects):
                t = injects[ni][0]
            if na < len(actions) and action_at[actions[na]] < t:
                t = action_at[actions[na]]
            if nd < len(deadlines) and deadlines[nd][0] < t:
                t = deadlines[nd][0]
            due = self.next_due()
            if due is not None and due < t:
                t = due
            if t > end:
                break
            self.now = t
            # 1. scheduled injects, file order
            while ni < len(injects) and injects[ni][0] == t:
                _, _, iid, fire = injects[ni]
                ni += 1
                if self.closed_at is not None:
                    continue
                self._log(t, "inject", iid)
                if fire is not None:
                    self._deliver_fire(fire, t)
            # 2. actions, file order (by scheduled time, then file order)
            while na < len(actions) and action_at[actions[na]] == t:
                k = actions[na]
                na += 1
                if self.closed_at is not None:
                    continue
                if self._attempt(k, t, True):
                    self._retry(t)
                else:
                    self.pending.append(k)
                    self.pending.sort()
            # 3. contingencies of expectations missed at this instant
            while nd < len(deadlines) and deadlines[nd][0] == t:
                n = deadlines[nd][3]
                nd += 1
                if self.closed_at is not None:
                    continue
                ex = sc.expectations[n]
                if not self.met(ex, t):
                    self.delivered.add(n)
                    self._log(t, "inject", ex["inject"], "contingency")
                    if ex["contingency_fire"] is not None:
                        self._deliver_fire(ex["contingency_fire"], t)
            # 4. time-driven events
            if self.closed_at is None and self.advance(t):
                self._retry(t)
        self.stopped_at = self.closed_at if self.closed_at is not None else max(self.now, end)
        if self.closed_at is None:
            self._finish_round()
        return self


# ---------------------------------------------------------------------------
# Monte Carlo and reporting.


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - margin), min(1.0, centre + margin))


def quantile(sorted_values, q):
    """Nearest rank."""
    if not sorted_values:
        return None
    rank = math.ceil(q * len(sorted_values))
    return sorted_values[min(len(sorted_values) - 1, max(0, rank - 1))]


def fmt_duration(seconds):
    if seconds is None:
        return "-"
    if seconds == 0:
        return "0m"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


_M64 = (1 << 64) - 1


class SplitMix64:
    """The Swift engine's generator (MonteCarlo.swift), only for `--swift-rng`: with it the
    delays are the Swift ones, so per-run results can be compared exactly."""

    __slots__ = ("state",)

    def __init__(self, seed):
        self.state = seed & _M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & _M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        return z ^ (z >> 31)

    @classmethod
    def for_run(cls, seed, index):
        a = cls(seed ^ 0x5DEECE66D1CE4E5B).next()
        g = cls(a ^ ((index * 0xD1B54A32D192ED03) & _M64))
        g.next()
        return g


def variable_roles(sc):
    """The roles whose actions are delayed, in the order of their first action."""
    roles = []
    for a in sc.actions:
        if sc.variability_for(a[1]) > 0 and a[1] not in roles:
            roles.append(a[1])
    return roles


def scaled(count, sample, runs):
    """`count` over the first `sample` runs, scaled to `runs` (rounded half away from zero, as Swift's `rounded()`)."""
    if sample >= runs or sample == 0:
        return count
    x = count * runs / sample
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


COUNTERFACTUAL_RUNS = 2000


def monte_carlo(pb, sc, runs, seed, swift_rng=False, counterfactual=False):
    limits = [sc.variability_for(a[1]) for a in sc.actions]
    n_ex = len(sc.expectations)
    met = [0] * n_ex
    step_ids = [s.id for st in pb.states for s in st.steps]
    active = dict.fromkeys(step_ids, 0)
    on_time = dict.fromkeys(step_ids, 0)
    closes = []
    expectations = sc.expectations
    has_windows = any(w > 0 for w in sc.windows)
    sample = min(runs, COUNTERFACTUAL_RUNS)
    sample_met = 0

    def play(i, zeroed=None, until_settled=False):
        # windows are drawn after the delays, from the same generator, and only when some inject has one;
        # a zeroed action's delay is still drawn, so the other draws stay those of run i
        if swift_rng:
            g = SplitMix64.for_run(seed, i)
            delays = [g.next() % (lim + 1) if lim > 0 else 0 for lim in limits]
            windows = [g.next() % (w + 1) if w > 0 else 0 for w in sc.windows] if has_windows else None
        else:
            rng = random.Random((seed << 64) + i)   # run i depends on (seed, i) alone
            delays = [rng.randint(0, lim) if lim > 0 else 0 for lim in limits]
            windows = [rng.randint(0, w) if w > 0 else 0 for w in sc.windows] if has_windows else None
        if zeroed is not None:
            delays = [0 if z else d for d, z in zip(delays, zeroed)]
        return Exercise(pb, sc, delays, windows=windows).run(until_settled)

    def met_in(ex):
        return [1 if ex.met(expectations[n], ex.deadline[n]) else 0 for n in range(n_ex)]

    start = time.perf_counter()
    for i in range(runs):
        ex = play(i)
        for n in range(n_ex):
            if ex.met(expectations[n], ex.deadline[n]):
                met[n] += 1
                if i < sample:
                    sample_met += 1
        for sid, ok in ex.step_on_time.items():
            active[sid] += 1
            on_time[sid] += ok
        if ex.closed_at is not None:
            closes.append(ex.closed_at)
    costs = None
    without = None
    if counterfactual:
        roles = variable_roles(sc)
        costs = []
        alone = None
        for role in roles:
            zeroed = [a[1] == role for a in sc.actions]
            per = [0] * n_ex
            for i in range(sample):
                for n, m in enumerate(met_in(play(i, zeroed, until_settled=True))):
                    per[n] += m
            costs.append((role, scaled(sum(per) - sample_met, sample, runs)))
            alone = per
        if not roles:
            without = list(met)
        elif not has_windows:
            without = [m * runs for m in met_in(play(0, [True] * len(sc.actions), until_settled=True))]
        else:
            if len(roles) > 1:
                alone = [0] * n_ex
                for i in range(sample):
                    for n, m in enumerate(met_in(play(i, [True] * len(sc.actions), until_settled=True))):
                        alone[n] += m
            without = [scaled(m, sample, runs) for m in alone]
        costs.sort(key=lambda c: (-c[1], c[0]))
    elapsed = time.perf_counter() - start

    closes.sort()
    return {"met": met, "active": active, "on_time": on_time, "closes": closes,
            "step_ids": step_ids, "elapsed": elapsed, "costs": costs, "without": without}


def single_run_json(pb, sc):
    ex = Exercise(pb, sc, trace=True).run()
    return {
        "scenario": sc.id,
        "playbook": pb.id,
        "finalState": pb.states[ex.state].id,
        "closed": ex.closed_at is not None,
        "closedAtSeconds": ex.closed_at,
        "stoppedAtSeconds": ex.stopped_at,
        "expectations": [{
            "inject": e["inject"], "kind": e["kind"], "target": e["target"],
            "deadlineSeconds": e["deadline"], "met": ex.met(e, e["deadline"]),
            "happenedAtSeconds": (ex.first_done if e["kind"] == "done" else ex.first_entered).get(e["target"]),
            "contingencyDelivered": n in ex.delivered,
        } for n, e in enumerate(sc.expectations)],
        "steps": ex.step_rounds,
        "actions": [{"index": k, "scheduledAtSeconds": ex.action_at[k], "appliedAtSeconds": ex.applied_at[k],
                     "lastRefusal": ex.last_refusal[k]} for k in range(len(sc.actions))],
        "timeline": [list(e) for e in ex.trace],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--playbooks", default="Playbooks")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--single", action="store_true", help="one run without delays, as JSON")
    ap.add_argument("--swift-rng", action="store_true",
                    help="draw delays with the Swift engine's SplitMix64 instead of random.Random (for exact comparison)")
    ap.add_argument("--counterfactual", action="store_true",
                    help="also play the delay cost per role and the playbook without delays, as firebreak drill stats does")
    args = ap.parse_args(argv)

    try:
        sdoc = load_yaml(args.scenario)
        pid = sdoc["playbook"]
        ppath = os.path.join(args.playbooks, f"{pid}.yaml")
        pb = Playbook(load_yaml(ppath), ppath)
        sc = Scenario(sdoc, args.scenario, pb)
    except (OSError, KeyError, TypeError, SpecError, yaml.YAMLError) as e:
        print(f"error: {e!r}" if isinstance(e, KeyError) else f"error: {e}", file=sys.stderr)
        return 2

    if args.single:
        json.dump(single_run_json(pb, sc), sys.stdout, indent=2)
        print()
        return 0

    r = monte_carlo(pb, sc, args.runs, args.seed, args.swift_rng, args.counterfactual)
    runs = args.runs
    rng = "SplitMix64 (Swift's)" if args.swift_rng else "random.Random"
    print(f"{sc.id} ({pb.id}): {runs} runs, seed {args.seed}, {rng}")
    print("expectations (share met, 95% interval):")
    for n, e in enumerate(sc.expectations):
        lo, hi = wilson(r["met"][n], runs)
        share = r["met"][n] / runs if runs else 0.0
        print(f"  {e['inject']:<18} {e['kind']:<5} {e['target']:<26} within {fmt_duration(e['within']):<6}"
              f" {share:7.1%}  [{lo:.1%}, {hi:.1%}]")
    print("steps (share on time, of runs in which the step was active):")
    for sid in r["step_ids"]:
        a = r["active"][sid]
        if a:
            print(f"  {sid:<26} {r['on_time'][sid] / a:7.1%}  ({a} runs)")
    closes = r["closes"]
    if closes:
        print(f"closing: {len(closes)}/{runs} runs closed; median {fmt_duration(quantile(closes, 0.5))},"
              f" p90 {fmt_duration(quantile(closes, 0.9))}")
    else:
        print(f"closing: no run closed before end ({fmt_duration(sc.end)})")
    if r["costs"] is not None:
        estimated = f" (from the first {min(runs, COUNTERFACTUAL_RUNS)} runs, scaled)" if runs > COUNTERFACTUAL_RUNS else ""
        print(f"delay cost per role (expectations missed because of its delays){estimated}:")
        for role, cost in r["costs"]:
            print(f"  {role:<18} {cost}")
        print("without delays (met):", " ".join(str(m) for m in r["without"]))
    what = "runs and the counterfactual passes" if r["costs"] is not None else "runs"
    print(f"python: {runs} {what} in {r['elapsed']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
