"""The message pipeline: inbox claim, turns, delivery, outbox sender, scheduler, limits."""
