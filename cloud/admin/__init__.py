"""The platform admins' API: every account and organisation, and suspending them."""
