"""The application layer: one function per use case, the one home of every write rule.

Each use case takes a `Context` (the database session, the caller, the criteria catalogue, the
clock) and plain data, applies the rules, records the change with its audit event and webhook
messages (`changes.record`), and returns rows or values; or it raises a domain error
(`services.errors`), which the HTTP layer turns into problem details and the command line into
a message. Nothing here knows about Flask: the API, the command line and the demo call the same
functions, so a rule holds the same way for all of them.

A new write rule goes into the use case it constrains: e.g. "no bidder may be added to a closed
procurement" is a line of `procurements.add_bidder`, raising `Conflict`.
"""
