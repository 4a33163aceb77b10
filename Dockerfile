# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Ставим пакет из исходников, а работаем в /app: там только данные, и код берётся из
# site-packages, вместе с таблицами маршрутизации из поставки.
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY handlers /src/handlers
COPY routing /src/routing
COPY config /src/config
RUN --mount=type=cache,target=/root/.cache/pip pip install /src && rm -rf /src

RUN useradd --create-home --uid 1000 bot \
    && mkdir -p /app/data \
    && chown bot:bot /app/data
USER bot
WORKDIR /app
VOLUME /app/data

CMD ["python", "-m", "bot"]
