"""Outbound events: the outbox apps write to in the same transaction as their change
(``services.event_emit``), webhook endpoints of an organisation, and their deliveries: signed
per Standard Webhooks, retried with back-off, guarded against private addresses."""
