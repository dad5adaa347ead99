# One image for all four apps and the migrate job; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY pyproject.toml README.md ./
COPY common ./common
COPY services ./services
COPY gateway ./gateway
COPY ruralnet ./ruralnet
COPY migrations ./migrations

RUN pip install . \
    && rm -rf build ./*.egg-info \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ruralnet

# migrations/ sits beside the packages, not inside the wheel; with /app first on the path the
# code runs from this tree and common.migrations finds migrations/alembic.ini next to it.
ENV PYTHONPATH=/app \
    RURALNET_ENV=production

USER ruralnet

EXPOSE 8000 8001 8002 8003
CMD ["uvicorn", "gateway.app:create", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
