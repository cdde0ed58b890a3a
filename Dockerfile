# WB Pulse: one process, SQLite in a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    MPLCONFIGDIR=/tmp/matplotlib

# The wheel carries the compiled catalogues (setup.py); the sources are removed after the
# install, so the bot that runs is the installed package, whatever the working directory.
COPY pyproject.toml setup.py MANIFEST.in README.md /src/
COPY bot /src/bot
COPY locales /src/locales
RUN pip install /src \
    && rm -rf /src \
    && useradd --system --uid 10001 --create-home --home-dir /home/wbpulse wbpulse \
    && mkdir -p /data \
    && chown wbpulse /data

USER wbpulse
WORKDIR /home/wbpulse
VOLUME ["/data"]

# The running bot rewrites DATA_DIR/heartbeat every 10 s; a stale one means the loop is stuck.
# `health` needs no BOT_TOKEN.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health", "--max-age", "60"]

CMD ["python", "-m", "bot"]
