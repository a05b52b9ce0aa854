"""What the Rasa server sends the action server: the current turn, not the whole conversation.

For every action it runs, Rasa sends the action server the conversation's state: slots, latest
message, latest action, and every event of the conversation so far. That is all the patient
has said, each message with its full NLU result. The request grows with every turn. Writing it
as JSON took about 5% of the Rasa server's CPU time under load (py-spy, reports/benchmark.md),
and the action server then reads it all back.

The actions of this assistant (actions/actions.py) read the slots and the latest message only.
:func:`action_call_format` sends the same state with the events of the current turn only: from
the latest user message on, or all of them before the first one (a new session). Less of the
patient's words leaves the Rasa server, the request has a bounded size, and the actions get
everything they read. An action that needs older events (a form validating earlier answers)
would need Rasa's own format: leave ``action_turn`` out of ``BME_RASA_SPEEDUPS``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Text

import rasa
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import EventVerbosity


def current_turn(events: Sequence[Event]) -> List[Event]:
    """The events from the latest user message on; all of them when there is none."""
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return list(events[index:])
    return list(events)


def action_call_format(self: Any, tracker: Any, domain: Any) -> Dict[Text, Any]:
    """``RemoteAction._action_call_format`` with the events of the current turn only; the rest
    of the request (state, action name, version, domain when asked for) is Rasa's."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in current_turn(list(tracker.events))]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
              "version": rasa.__version__}
    if (not self._is_selective_domain_enabled()
            or domain.does_custom_action_explicitly_need_domain(self.name())):
        result["domain"] = domain.as_dict()
    return result
