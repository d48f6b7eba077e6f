"""Transactional email: an outbox written in the business transaction, delivered by the
worker over SMTP with retries, backoff and a dead-letter status."""
