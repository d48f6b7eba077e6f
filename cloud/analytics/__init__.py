"""Reports for organizers, computed straight from the sales and scans tables.

Every figure is one aggregate query (or a few) that runs the same on PostgreSQL and SQLite
and is served by the indexes the tables already have (``docs/analytics.md`` shows the
plans); nothing is precomputed or cached, so a report is as fresh as the last upload.

- ``sales``: tickets and money over time, by ticket type, and capacity sold/held/left.
- ``attendance``: admitted versus sold, no-shows, per gate, entries per minute, conflicts.
- ``throughput``: admissions per gate and minute, with each gate's peak.
- ``attendees``: the searchable, filterable list of an event's tickets and its CSV export.
- ``orders``: an event's orders, searched and filtered, with cancellations and refunds.
- ``portfolio``: the same figures for every event of an organisation, side by side.

Callers check the organizer's access first (``cloud.events.service.own_event``); the
services here take ids that are known to belong to them."""
