"""What a call needs between two webhooks, carried in the action URLs handed to Twilio.

Twilio signs the full URL, query included (``X-Twilio-Signature``), so state read back from it is the
state Recours wrote: no database read is needed to know the caller's language, the menu failures so
far, the specialty chosen, the hunt list being rung (its seniors and layers, in order) or who calls
(for the senior's announcement). Any instance can handle a call's next webhook.

Parameters (short, as Twilio logs every URL): ``l`` language, ``f`` menu failures, ``s`` specialty,
``h`` hunt list (``12p.34b.9l``: senior id + layer initial, in hunt order), ``v`` the rota version the
hunt list was read at, ``g`` the calling GP's id, ``c`` the caller's number when the GP is unknown (the
announcement reads it out). A URL without ``l`` carries no state (URLs handed out before this existed,
or the fallback's): the webhook then reads the call from the database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calllog.models import AttemptResult
from rota.queries import LAST_RESORT

LAYER_CODES = {"primary": "p", "backup": "b", LAST_RESORT: "l"}
LAYERS = {code: layer for layer, code in LAYER_CODES.items()}
MAX_HUNT = 50


@dataclass(frozen=True)
class CallState:
    language: str = "fr"
    menu_failures: int = 0
    specialty_id: int | None = None
    hunt: tuple[tuple[int, str], ...] = ()  # (senior id, layer) in hunt order
    rota_version: int | None = None
    gp_id: int | None = None
    caller_e164: str | None = None

    def but(self, **changes: Any) -> CallState:
        return dataclasses.replace(self, **changes)

    @classmethod
    def of(cls, call) -> CallState:
        """The state of a call as logged (a :class:`calllog.models.Call`) or as carried (a :class:`CallView`)."""
        if isinstance(call, CallView):
            return call.state
        hunt = tuple((int(h["senior_id"]), str(h["layer"])) for h in (call.hunt or []))
        return cls(
            language=call.language,
            menu_failures=call.menu_failures,
            specialty_id=call.specialty_id,
            hunt=hunt,
            gp_id=call.gp_id,
            caller_e164=None if call.gp_id is not None else call.caller_e164,
        )

    def query(self) -> dict[str, str]:
        query = {"l": self.language}
        if self.menu_failures:
            query["f"] = str(self.menu_failures)
        if self.specialty_id is not None:
            query["s"] = str(self.specialty_id)
            query["h"] = ".".join(f"{sid}{LAYER_CODES.get(layer, 'l')}" for sid, layer in self.hunt)
        if self.rota_version is not None:
            query["v"] = str(self.rota_version)
        if self.gp_id is not None:
            query["g"] = str(self.gp_id)
        elif self.caller_e164:
            query["c"] = self.caller_e164
        return query

    @classmethod
    def from_args(cls, args) -> CallState | None:
        """The state in a signed URL's query; None when it carries none or it does not read back."""
        language = args.get("l")
        if language not in ("fr", "en"):
            return None
        try:
            failures = int(args.get("f") or 0)
            specialty = int(args["s"]) if args.get("s") else None
            hunt: list[tuple[int, str]] = []
            for item in filter(None, (args.get("h") or "").split(".")):
                hunt.append((int(item[:-1]), LAYERS[item[-1]]))
            version = int(args["v"]) if args.get("v") else None
            gp_id = int(args["g"]) if args.get("g") else None
        except (ValueError, KeyError):
            return None
        if not 0 <= failures <= 100 or len(hunt) > MAX_HUNT:
            return None
        caller = (args.get("c") or "")[:20] or None
        return cls(language, failures, specialty, tuple(hunt), version, gp_id, caller)


@dataclass(frozen=True)
class AttemptView:
    result: AttemptResult | None
    answered_at: datetime | None


@dataclass(frozen=True)
class CallbackView:
    promised_minutes: int | None


@dataclass
class CallView:
    """A call as the flow sees it when its state comes from the URL, not from the database: the same
    attributes the flow reads on a logged :class:`calllog.models.Call`."""

    sid: str
    caller: str
    dialled: str
    state: CallState
    hunt: list[dict[str, Any]]
    ended_at: datetime | None = None
    switchboard_at: datetime | None = None
    accepted: frozenset[int] = frozenset()
    declined: frozenset[int] = frozenset()
    deferred: dict[int, int] = dataclasses.field(default_factory=dict)  # rank → minutes promised
    answered: dict[int, datetime] = dataclasses.field(default_factory=dict)
    caller_number: str | None = None  # the caller's E.164, on the GP's own leg (its From)

    @property
    def language(self) -> str:
        return self.state.language

    @property
    def menu_failures(self) -> int:
        return self.state.menu_failures

    @property
    def specialty_id(self) -> int | None:
        return self.state.specialty_id

    @property
    def gp_id(self) -> int | None:
        return self.state.gp_id

    @property
    def caller_e164(self) -> str | None:
        return self.caller_number or self.state.caller_e164

    @property
    def callback(self) -> CallbackView | None:
        """The promise of a senior who deferred (what the flow reads of the callback request)."""
        return CallbackView(next(iter(self.deferred.values()))) if self.deferred else None

    def attempt(self, rank: int) -> AttemptView | None:
        if not 0 <= rank < len(self.state.hunt):
            return None
        if rank in self.accepted:
            result: AttemptResult | None = AttemptResult.ACCEPTED
        elif rank in self.deferred:
            result = AttemptResult.DEFERRED
        elif rank in self.declined:
            result = AttemptResult.DECLINED
        else:
            result = None
        return AttemptView(result, self.answered.get(rank))
