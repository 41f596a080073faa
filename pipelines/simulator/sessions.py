"""What happens on the platform: sessions of turns, generations, user actions and consent changes.

``plan_day`` draws a day's session plans (who, when, how many turns) so that the turns add up to
exactly ``interactions_per_day``; the plans are dealt round robin to the day's part files, and a
``PartSimulator`` simulates one part's sessions in start order from its own random stream. A
session lives on relative milliseconds and is shifted to its start at the end, so every one of
its events falls on the day it started (reverts and late feedback included). Outcomes are drawn
from ``outcomes.sampling_table`` and nothing else, which keeps the truth rates exact.

Free text is composed, then personal data and secrets are injected at the configured rates;
every planted value is handed to ``record_injection`` with its event id and field.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from pipelines.contract import CONTRACT_VERSION
from pipelines.simulator import clock, code_text, injection, prompts
from pipelines.simulator.catalog import (
    BASE_MODEL_WEIGHTS,
    MODELS_BY_NAME,
    UNPRICED,
    UNPRICED_SHARE,
    Model,
)
from pipelines.simulator.config import SimulationConfig
from pipelines.simulator.outcomes import INTENTS, OUTCOMES, sampling_table
from pipelines.simulator.population import Population, User, hourly_profile
from pipelines.simulator.randomness import (
    base62_id,
    below,
    between,
    hex_id,
    lognormal_int,
    pick,
    stream,
    uuid4,
)

Event = tuple[int, dict[str, Any]]  # (occurred ms, contract document)
RecordInjection = Callable[[str, str, str, str, str], None]  # event_id, user_id, field, entity, value

_TURN_LENGTHS = (1, 2, 3, 4, 5, 6, 7, 8)
_TURN_LENGTH_CUM = tuple(accumulate((30, 22, 15, 11, 8, 6, 4, 4)))
_FIRST_INTENT_CUM = tuple(accumulate((45, 20, 15, 10, 5, 5)))  # order of INTENTS
_LATER_INTENT_CUM = tuple(accumulate((2, 30, 20, 17, 25, 6)))
_AFTER_FAILURE_INTENT_CUM = tuple(accumulate((2, 15, 40, 13, 25, 5)))
_PLAN_MODEL_SHIFT = {"free": 2.0, "pro": 1.0, "team": 0.8, "enterprise": 0.5}  # weight on the in-house model
_REJECT_REASONS = ("wrong", "incomplete", "broke_app", "not_what_i_asked", "other")
_UNKNOWN_INDEX = OUTCOMES.index("unknown")


@dataclass(frozen=True)
class SessionPlan:
    """Who starts a session when, and how many turns it has (picklable: users by index)."""

    start_ms: int
    sequence: int
    user_index: int  # into Population.users
    turns: int


@dataclass(frozen=True)
class DayPlan:
    """A day's sessions in start order, and its consent changes in time order."""

    day_index: int
    sessions: list[SessionPlan]
    consent: list[Event]

    def shard(self, part: int, parts: int) -> tuple[list[SessionPlan], list[Event]]:
        """The sessions and consent changes exported in part file ``part`` (round robin: every part spans the day)."""
        return self.sessions[part::parts], self.consent[part::parts]


def _eligible_by_hour(population: Population, day_ms: int) -> list[tuple[list[int], list[float]]]:
    """Per UTC hour: the users who can work the whole hour, with cumulative activity weights."""
    profiles: dict[int, tuple[float, ...]] = {}
    by_hour = []
    for hour in range(24):
        start = day_ms + hour * clock.MS_PER_HOUR
        users, weights = [], []
        for index, user in enumerate(population.users):
            if user.works_at(start) and user.works_at(start + clock.MS_PER_HOUR - 1):
                profile = profiles.get(user.utc_offset)
                if profile is None:
                    profile = profiles[user.utc_offset] = hourly_profile(user.utc_offset)
                users.append(index)
                weights.append(user.activity * profile[hour])
        by_hour.append((users, list(accumulate(weights))))
    return by_hour


def plan_day(config: SimulationConfig, population: Population, day_index: int) -> DayPlan:
    """Draw the day's sessions so that their turns add up to exactly ``interactions_per_day``."""
    day = config.day_dates[day_index]
    day_ms = clock.day_start_ms(day)
    rng = stream(config.seed, "day", day_index)
    by_hour = _eligible_by_hour(population, day_ms)
    hour_cum = list(accumulate(cum[-1] if cum else 0.0 for _, cum in by_hour))
    if hour_cum[-1] <= 0:
        raise ValueError(f"no workspace is active on {day}: raise SimulationConfig.workspaces or change the seed")
    sessions, remaining, sequence = [], config.interactions_per_day, 0
    while remaining > 0:
        hour = min(bisect.bisect_right(hour_cum, rng.random() * hour_cum[-1]), 23)
        users, cum = by_hour[hour]
        user_index = users[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(users) - 1)]
        turns = min(remaining, _TURN_LENGTHS[bisect.bisect_right(_TURN_LENGTH_CUM, rng.random() * _TURN_LENGTH_CUM[-1])])
        start = day_ms + hour * clock.MS_PER_HOUR + below(rng, clock.MS_PER_HOUR)
        sessions.append(SessionPlan(start, sequence, user_index, turns))
        remaining -= turns
        sequence += 1
    sessions.sort(key=lambda p: (p.start_ms, p.sequence))
    return DayPlan(day_index, sessions, consent_events(config, population, day_index))


def consent_events(config: SimulationConfig, population: Population, day_index: int) -> list[Event]:
    """Consent changes occurring this day; day 0 also re-sends every earlier grant (a backfill)."""
    day_ms = clock.day_start_ms(config.day_dates[day_index])
    low = 0 if day_index == 0 else day_ms
    rng = stream(config.seed, "consent-events", day_index)
    events = []
    for user in population.users:
        for t_ms, status in ((user.granted_ms, "granted"), (user.revoked_ms, "revoked")):
            if t_ms is not None and low <= t_ms < day_ms + clock.MS_PER_DAY:
                events.append((t_ms, {
                    "schema_version": CONTRACT_VERSION, "event_id": uuid4(rng), "event_type": "consent.changed",
                    "occurred_at": clock.format_ms(t_ms), "workspace_id": user.workspace.workspace_id,
                    "user_id": user.user_id, "consent.scope": "training_data", "consent.status": status,
                }))
    events.sort(key=lambda e: e[0])
    return events


class PartSimulator:
    """Simulates the sessions of one part file of one day, from its own random stream.

    Parts are independent of each other (they may run in different processes), so the state a
    user carries between sessions is either derived from the user (their long-lived projects) or
    kept within the part (apps started here, the last prompt they typed).
    """

    def __init__(self, config: SimulationConfig, population: Population, day_index: int, part: int,
                 sessions: list[SessionPlan], consent: list[Event], record_injection: RecordInjection) -> None:
        self.config = config
        self.population = population
        self.day_index = day_index
        self.day_ms = clock.day_start_ms(config.day_dates[day_index])
        self.rng = stream(config.seed, "day", day_index, "part", part)
        self.plans = sessions
        self.consent = consent
        self.record_injection = record_injection
        self.outcome_table = sampling_table()
        self.sessions = 0
        self.outcome_counts: dict[tuple[str, str, str], int] = {}
        self._apps: dict[str, list[tuple[str, int]]] = {}
        self._last_prompt: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}

    def events(self) -> Iterator[tuple[int, list[Event]]]:
        """(session slot, batch) in rough time order: consent changes interleaved with sessions by start."""
        consent, position = self.consent, 0
        for slot, plan in enumerate(self.plans):
            while position < len(consent) and consent[position][0] <= plan.start_ms:
                yield slot, [consent[position]]
                position += 1
            yield slot, self._session(plan)
        for event in consent[position:]:
            yield len(self.plans), [event]

    # -- one session ---------------------------------------------------------------------------
    def _pick_model(self, user: User) -> Model:
        rng = self.rng
        shift = _PLAN_MODEL_SHIFT[user.workspace.first_plan]
        names = list(BASE_MODEL_WEIGHTS)
        weights = [w * (shift if MODELS_BY_NAME[n].in_house else 1.0) for n, w in BASE_MODEL_WEIGHTS.items()]
        return MODELS_BY_NAME[rng.choices(names, weights=weights)[0]]

    def _apps_of(self, user: User) -> list[tuple[str, int]]:
        """The user's long-lived projects (derived from the user) plus apps started in this part."""
        apps = self._apps.get(user.user_id)
        if apps is None:
            projects = stream(self.config.seed, "projects", user.user_id)
            apps = [("app_" + hex_id(projects, 8), below(projects, len(prompts.APP_TYPES)))
                    for _ in range(between(projects, 1, 4))]
            self._apps[user.user_id] = apps
        return apps

    def _app_for(self, user: User, intent: str) -> tuple[str, int]:
        rng = self.rng
        apps = self._apps_of(user)
        if intent != "new_app" and rng.random() < 0.85:
            return pick(rng, apps)
        app = ("app_" + hex_id(rng, 8), below(rng, len(prompts.APP_TYPES)))
        apps.append(app)
        return app

    def _intent(self, turn_index: int, previous_outcome: str | None) -> str:
        if turn_index == 0:
            cum = _FIRST_INTENT_CUM
        elif previous_outcome in ("rejected", "reverted", "build_failed", "thumbs_down"):
            cum = _AFTER_FAILURE_INTENT_CUM
        else:
            cum = _LATER_INTENT_CUM
        return INTENTS[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def _session(self, plan: SessionPlan) -> list[Event]:
        rng = self.rng
        user = self.population.users[plan.user_index]
        session_hex = hex_id(rng, 12)
        session = _Session(
            user=user,
            session_id=f"ses_{session_hex}",
            old_client=rng.random() < 0.4,  # old clients do not send gen_ai.response.id on actions
            deprecated_names=rng.random() < 0.02,  # a very old SDK still emits deprecated OTel names
        )
        model = self._pick_model(user)
        intent = self._intent(0, None)
        app_id, app_index = self._app_for(user, intent)
        app = prompts.APP_TYPES[app_index]
        events: list[Event] = []
        t = 0
        previous_outcome: str | None = None
        pasted_error: tuple[str, injection.Planted] | None = None
        for turn_index in range(plan.turns):
            if turn_index:
                intent = self._intent(turn_index, previous_outcome)
                if rng.random() < 0.08:
                    model = self._pick_model(user)
            base = {
                "schema_version": CONTRACT_VERSION, "event_id": "", "event_type": "", "occurred_at": "",
                "workspace_id": user.workspace.workspace_id, "user_id": user.user_id,
                "gen_ai.conversation.id": session.session_id, "app_id": app_id,
                "turn_id": f"trn_{session_hex}_{turn_index:02d}",
            }
            prompt_planted, subject = self._prompt(session, base, turn_index, intent, app, t, events,
                                                   pasted_error if intent == "fix_bug" else None)
            pasted_error = None
            t_gen = t + between(rng, 400, 2500)
            while True:
                response_id, latency, answered_by = self._generation(session, base, model, intent, app, turn_index,
                                                                     t_gen, prompt_planted, subject, events)
                t_done = t_gen + latency
                outcome, t_next, build_error = self._actions(session, base, answered_by, intent, response_id,
                                                             t_done, events)
                if outcome != "regenerate":
                    break
                t_gen = t_next + between(rng, 300, 2000)
                if rng.random() < 0.2:
                    model = self._pick_model(user)
            previous_outcome = outcome
            if build_error is not None and rng.random() < 0.6:
                pasted_error = build_error
            think = lognormal_int(rng, 45_000, 0.9, 8_000, 20 * clock.MS_PER_MINUTE)
            if outcome == "unknown":
                think += between(rng, 5, 40) * clock.MS_PER_MINUTE  # walked away, came back later
            t = t_next + think
        self.sessions += 1
        return _place(events, plan.start_ms, self.day_ms)

    def _prompt(self, session: _Session, base: dict[str, Any], turn_index: int, intent: str,
                app: prompts.AppType, t: int, events: list[Event],
                pasted_error: tuple[str, injection.Planted] | None) -> tuple[injection.Planted, str | None]:
        """Emit the turn's prompt.submitted; (personal values the answer may echo, what it asks about)."""
        rng, config, user = self.rng, self.config, session.user
        planted: injection.Planted = []
        subject = None
        if pasted_error is not None:
            text = prompts.pasted_error_prompt(rng, pasted_error[0])
            planted.extend(pasted_error[1])
        elif user.user_id in self._last_prompt and rng.random() < 0.03:
            text, carried = self._last_prompt[user.user_id]  # pasted the same thing again
            planted.extend(carried)
        else:
            prompt = prompts.compose(rng, intent, app)
            text, subject = prompt.text, prompt.subject
            if rng.random() < config.pii_rate:
                text, values = injection.pii_in_prompt(rng, text, session.persona_for(rng))
                planted.extend(values)
            if rng.random() < config.secret_rate:
                text, values = injection.secret_in_prompt(rng, text)
                planted.extend(values)
        self._last_prompt[user.user_id] = (text, tuple(planted))
        doc = dict(base)
        doc["event_id"] = event_id = uuid4(rng)
        doc["event_type"] = "prompt.submitted"
        doc["turn_index"] = turn_index
        doc["prompt.text"] = text
        doc["prompt.intent"] = intent
        events.append((t, doc))
        self._record(event_id, user.user_id, "prompt.text", planted)
        return [p for p in planted if not p[0].startswith(injection.SECRET_PREFIX)], subject

    def _record(self, event_id: str, user_id: str, field: str, planted: injection.Planted) -> None:
        for entity, value in planted:
            self.record_injection(event_id, user_id, field, entity, value)

    def _generation(self, session: _Session, base: dict[str, Any], model: Model, intent: str,
                    app: prompts.AppType, turn_index: int, t_gen: int, prompt_planted: injection.Planted,
                    subject: str | None, events: list[Event]) -> tuple[str, int, Model]:
        """Emit a generation.completed; (response id, latency, the model that actually answered)."""
        rng, config = self.rng, self.config
        if rng.random() < UNPRICED_SHARE:
            model = UNPRICED
        event_id = uuid4(rng)
        # Free text first: injections change the patch and therefore the line counts.
        text = code_text.assistant_text(rng, intent, app, subject)
        assistant_planted: injection.Planted = []
        if rng.random() < config.pii_rate:
            text, assistant_planted = injection.pii_in_assistant(rng, text, session.persona_for(rng), prompt_planted)
        files = code_text.files_for(rng, intent, app)
        added, removed = code_text.change_size(rng, intent, len(files))
        patch = code_text.unified_diff(rng, files, added, removed)
        patch_planted: injection.Planted = []
        extra: list[tuple[str, list[str]]] = []
        if rng.random() < config.pii_rate:
            path, lines, values = injection.pii_patch_lines(rng, session.persona_for(rng))
            extra.append((path, lines))
            patch_planted.extend(values)
        if rng.random() < config.secret_rate:
            path, lines, values = injection.secret_patch_lines(rng)
            extra.append((path, lines))
            patch_planted.extend(values)
        for path, lines in extra:
            patch += f"--- a/{path}\n+++ b/{path}\n@@ -1,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)
            added += len(lines)
            if path not in files:
                files.append(path)

        # System prompt and project files grow with the conversation; the prompt itself is small beside them.
        prompt_tokens = 2400 + 1700 * turn_index + between(rng, 0, 1200)
        output_tokens = 90 + len(text) // 4 + added * 11 + removed * 2
        reasoning = 0
        if model.reasoning:
            reasoning = lognormal_int(rng, 900 if model.provider == "openai" else 600, 0.8, 64, 24_000)
            output_tokens += reasoning
        finish = "stop"
        roll = rng.random()
        if roll < 0.015:
            finish, output_tokens = "length", model.max_output_tokens
        elif roll < 0.018:
            finish = "content_filter"
        elif roll < 0.021:
            finish = "error"
        output_tokens = min(output_tokens, model.max_output_tokens)
        if model.cache_writes:
            if turn_index == 0:
                cache_read, cache_creation = 0, int(prompt_tokens * rng.uniform(0.75, 0.9))
            else:
                cache_read = int(prompt_tokens * rng.uniform(0.7, 0.9))
                cache_creation = int((prompt_tokens - cache_read) * rng.uniform(0.5, 0.9))
        else:
            cache_creation = 0
            cache_read = 0 if turn_index == 0 else int(prompt_tokens * rng.uniform(0.5, 0.9)) // 1024 * 1024
        ttfc = model.ttfc_median_s * math.exp(rng.gauss(0.0, 0.5))
        latency = min(3_600_000, int(ttfc * 1000 + output_tokens / model.decode_tokens_per_s * 1000 * math.exp(rng.gauss(0.0, 0.2))))
        response_id = model.response_id_prefix + base62_id(rng, 24)

        doc = dict(base)
        doc["event_id"] = event_id
        doc["event_type"] = "generation.completed"
        doc["gen_ai.operation.name"] = "invoke_agent" if rng.random() < 0.15 else "chat"
        if session.deprecated_names:
            doc["gen_ai.system"] = model.provider
        else:
            doc["gen_ai.provider.name"] = model.provider
        doc["gen_ai.request.model"] = model.name
        doc["gen_ai.response.model"] = model.response_name
        doc["gen_ai.response.id"] = response_id
        if session.deprecated_names:
            doc["gen_ai.usage.prompt_tokens"] = prompt_tokens
            doc["gen_ai.usage.completion_tokens"] = output_tokens
        else:
            doc["gen_ai.usage.input_tokens"] = prompt_tokens
            doc["gen_ai.usage.output_tokens"] = output_tokens
        doc["gen_ai.usage.cache_read.input_tokens"] = cache_read
        doc["gen_ai.usage.cache_creation.input_tokens"] = cache_creation
        if model.reasoning:
            doc["gen_ai.usage.reasoning.output_tokens"] = min(reasoning, output_tokens)
        doc["gen_ai.response.finish_reasons"] = [finish]
        doc["gen_ai.response.time_to_first_chunk"] = round(ttfc, 3)
        doc["latency_ms"] = latency
        doc["assistant.text"] = text
        doc["code_change"] = {"files_touched": files, "lines_added": added, "lines_removed": removed, "patch": patch}
        events.append((t_gen + latency, doc))
        self._record(event_id, session.user.user_id, "assistant.text", assistant_planted)
        self._record(event_id, session.user.user_id, "code_change.patch", patch_planted)
        return response_id, latency, model

    def _action(self, session: _Session, base: dict[str, Any], event_type: str, response_id: str, t: int,
                events: list[Event], **fields: Any) -> dict[str, Any]:
        doc = dict(base)
        doc["event_id"] = uuid4(self.rng)
        doc["event_type"] = event_type
        if not session.old_client:
            doc["gen_ai.response.id"] = response_id
        doc.update(fields)
        events.append((t, doc))
        return doc

    def _feedback(self, session: _Session, base: dict[str, Any], response_id: str, t: int, events: list[Event],
                  positive: bool) -> None:
        rng = self.rng
        if positive:
            fields = ({"gen_ai.evaluation.name": "user_thumbs", "gen_ai.evaluation.score.value": 1,
                       "gen_ai.evaluation.score.label": "thumbs_up"} if rng.random() < 0.65 else
                      {"gen_ai.evaluation.name": "user_rating", "gen_ai.evaluation.score.value": pick(rng, (4, 5, 5)),
                       "gen_ai.evaluation.score.label": "rating"})
        else:
            fields = ({"gen_ai.evaluation.name": "user_thumbs", "gen_ai.evaluation.score.value": 0,
                       "gen_ai.evaluation.score.label": "thumbs_down"} if rng.random() < 0.75 else
                      {"gen_ai.evaluation.name": "user_rating", "gen_ai.evaluation.score.value": pick(rng, (1, 2)),
                       "gen_ai.evaluation.score.label": "rating"})
        planted: injection.Planted = []
        if rng.random() < (0.3 if positive else 0.45):
            comment = pick(rng, code_text.POSITIVE_COMMENTS if positive else code_text.NEGATIVE_COMMENTS)
            if rng.random() < self.config.pii_rate:
                comment, planted = injection.pii_in_feedback(rng, comment, session.persona_for(rng))
            fields["gen_ai.evaluation.explanation"] = comment
        doc = self._action(session, base, "gen_ai.evaluation.result", response_id, t, events, **fields)
        self._record(doc["event_id"], session.user.user_id, "gen_ai.evaluation.explanation", planted)

    def _build(self, session: _Session, base: dict[str, Any], response_id: str, t: int, events: list[Event],
               succeeded: bool) -> tuple[str, injection.Planted] | None:
        rng = self.rng
        if succeeded:
            self._action(session, base, "build.completed", response_id, t, events, **{
                "build.status": "succeeded", "build.duration_ms": lognormal_int(rng, 14_000, 0.6, 2_000, 300_000)})
            return None
        error_class, message = code_text.build_failure(rng)
        planted: injection.Planted = []
        if rng.random() < self.config.pii_rate:
            message, planted = injection.pii_in_build_error(rng, message, session.persona_for(rng))
        if rng.random() < self.config.secret_rate:
            message, values = injection.secret_in_build_error(rng, message)
            planted = planted + values
        duration = 600_000 if error_class == "timeout" else lognormal_int(rng, 9_000, 0.6, 1_000, 300_000)
        doc = self._action(session, base, "build.completed", response_id, t, events, **{
            "build.status": "failed", "build.error_class": error_class, "build.error_message": message,
            "build.duration_ms": duration})
        self._record(doc["event_id"], session.user.user_id, "build.error_message", planted)
        return message, planted

    def _actions(self, session: _Session, base: dict[str, Any], model: Model, intent: str, response_id: str,
                 t_done: int, events: list[Event]) -> tuple[str, int, tuple[str, injection.Planted] | None]:
        """Draw the outcome and emit its actions; (outcome, when the user moves on, pasted build error)."""
        rng = self.rng
        cum = self.outcome_table[(model.name, intent)]
        outcome = OUTCOMES[min(bisect.bisect_right(cum, rng.random()), _UNKNOWN_INDEX)]
        key = (model.name, intent, outcome)
        self.outcome_counts[key] = self.outcome_counts.get(key, 0) + 1
        t = t_done + lognormal_int(rng, 14_000, 0.8, 1_500, 5 * clock.MS_PER_MINUTE)  # reading the answer
        build_error = None
        if outcome == "unknown":
            return outcome, t_done, None
        if outcome == "rejected":
            fields = {"reject.reason": pick(rng, _REJECT_REASONS)} if rng.random() < 0.7 else {}
            self._action(session, base, "generation.rejected", response_id, t, events, **fields)
        elif outcome == "regenerate":
            self._action(session, base, "generation.regenerate_requested", response_id, t, events)
        elif outcome == "thumbs_down":
            self._feedback(session, base, response_id, t, events, positive=False)
        else:  # success, reverted and build_failed all start by accepting
            self._action(session, base, "generation.accepted", response_id, t, events)
            if outcome == "build_failed":
                t += between(rng, 3_000, 40_000)
                build_error = self._build(session, base, response_id, t, events, succeeded=False)
            elif outcome == "reverted":
                if rng.random() < 0.4:
                    t += between(rng, 3_000, 40_000)
                    self._build(session, base, response_id, t, events, succeeded=True)
                if rng.random() < 0.4:
                    t += between(rng, 2_000, 60_000)
                    self._action(session, base, "app.previewed", response_id, t, events)
                revert_at = t + lognormal_int(rng, 8 * clock.MS_PER_MINUTE, 1.0, 20_000, 3 * clock.MS_PER_HOUR)
                self._action(session, base, "generation.reverted", response_id, revert_at, events)
            else:
                t = self._success_actions(session, base, response_id, t, events)
        return outcome, t, build_error

    def _success_actions(self, session: _Session, base: dict[str, Any], response_id: str, t: int,
                         events: list[Event]) -> int:
        rng = self.rng
        if rng.random() < 0.3:
            self._action(session, base, "generation.edited", response_id,
                         t + lognormal_int(rng, 90_000, 0.9, 10_000, 20 * clock.MS_PER_MINUTE), events, **{
                             "edit.lines_added": lognormal_int(rng, 4, 0.9, 0, 200),
                             "edit.lines_removed": lognormal_int(rng, 2, 0.9, 0, 100)})
        if rng.random() < 0.75:
            t += between(rng, 3_000, 40_000)
            self._build(session, base, response_id, t, events, succeeded=True)
        if rng.random() < 0.55:
            t += between(rng, 2_000, 90_000)
            self._action(session, base, "app.previewed", response_id, t, events)
            if rng.random() < 0.12:
                self._action(session, base, "app.published", response_id,
                             t + between(rng, 20_000, 15 * clock.MS_PER_MINUTE), events,
                             **{"deploy.target": "production" if rng.random() < 0.4 else "preview"})
        if rng.random() < 0.22:
            self._feedback(session, base, response_id, t + between(rng, 5_000, 10 * clock.MS_PER_MINUTE), events,
                           positive=True)
        return t


@dataclass
class _Session:
    user: User
    session_id: str
    old_client: bool
    deprecated_names: bool
    persona: injection.Persona | None = None

    def persona_for(self, rng: random.Random) -> injection.Persona:
        if self.persona is None:
            self.persona = injection.new_persona(rng)
        return self.persona


def _place(events: list[Event], start_ms: int, day_ms: int) -> list[Event]:
    """Shift a session to its start, kept inside its day; time-order it; set ``occurred_at``."""
    span = max(t for t, _ in events)
    day_end = day_ms + clock.MS_PER_DAY - 1
    if start_ms + span > day_end:
        start_ms = max(day_ms, day_end - span)
    scale = min(1.0, (day_end - start_ms) / span) if span else 1.0
    placed = []
    for t, doc in sorted(events, key=lambda e: e[0]):
        at = start_ms + (int(t * scale) if scale < 1.0 else t)
        doc["occurred_at"] = clock.format_ms(at)
        placed.append((at, doc))
    return placed
