# WB Pulse: one process, SQLite in a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY locales ./locales
RUN pip install . \
    && python -m bot compile-locales \
    && useradd --system --uid 10001 --home-dir /app wbpulse \
    && mkdir -p /data \
    && chown wbpulse /data

USER wbpulse
VOLUME ["/data"]

# The running bot rewrites DATA_DIR/heartbeat every 10 s; a stale one means the loop is stuck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health", "--max-age", "60"]

CMD ["python", "-m", "bot"]
