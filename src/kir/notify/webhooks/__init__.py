"""Signed webhooks (Standard Webhooks): per-organisation endpoints, the event registry, payloads
built through the register's visibility selectors, delivery by the outbox worker.

Modules: `models` (endpoints, their secrets, the delivery log), `events` (what can be sent, and
`webhook_events_enqueue`, which the register's services call in their transactions), `payloads`
(what one organisation may see of an issue), `signing`, `addresses` (which URLs may be called),
`delivery` (the outbox handler), `services` (endpoint management), `views`.
"""
