# The same service the tests run: `serve` (webhook) or `worker` (turns, sends, scheduler).
# Build: docker build -t sms-assistant .   (not exercised in CI here: no Docker engine)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY api ./api
COPY cli ./cli
COPY messaging ./messaging
COPY graph ./graph
COPY tools ./tools
COPY stores ./stores
RUN pip install . && useradd --create-home --uid 10001 assistant

USER assistant
EXPOSE 8000
# DATABASE_URL, TWILIO_* and the rest come from the environment (see .env.example).
CMD ["sms-assistant", "serve", "--host", "0.0.0.0", "--port", "8000"]
