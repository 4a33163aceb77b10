"""The use cases: what happens to a ticket when a citizen, a body or a coordinator acts.

Start at `dispatch` (where an incoming message goes: one ordered rule table) and `desk` (the
one place that moves a ticket and queues what announces the move). Each other module is one
area: `intake` (appeals, questions, follow-ups), `staff_actions` (take, «Не наше», answer,
close, spam), `verdicts` (the citizen's «Проблема решена?» and rating), `deadlines`,
`reachability`, `privacy`, `invites`, `citizen` (commands), `coordination` (the routing table
from a chat), `stats`, `coordinator_tools` (both, as a coordinator's chat in either channel
uses them), `body_choice` (a coordinator's body chosen by a button). `appeals.AppealCore`
binds them into the one object adapters call (`ports.Core`).

No platform library is imported here (a test checks it): adapters translate updates into
`bot.domain.messages.IncomingMessage` and deliver what the desk queued.
"""
