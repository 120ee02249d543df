"""Ticket change notifications: webhook and poll intake, an outbox, paced exactly-once delivery."""
