"""The audit log: an append-only, hash-chained record of sensitive actions (logins, refunds
and cancellations, key changes, role and team changes, suspensions, approvals, moderation,
admin actions), written in the transaction of the action it records."""
