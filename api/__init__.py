"""The HTTP edge (FastAPI app, Twilio webhook, health), the turn runner and the CLI."""
