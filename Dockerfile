# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Зависимости — ровно те версии, что в requirements.lock (с хешами; обновление — README,
# «Зависимости»), отдельным слоем: он пересобирается, только когда меняется lock-файл.
COPY requirements.lock /tmp/requirements.lock
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock

# Ставим пакет из исходников (без зависимостей — они уже стоят), а работаем в /app: там только
# данные, и код берётся из site-packages, вместе с таблицами маршрутизации из поставки.
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY handlers /src/handlers
COPY routing /src/routing
COPY config /src/config
RUN --mount=type=cache,target=/root/.cache/pip pip install --no-deps /src && rm -rf /src

RUN useradd --create-home --uid 1000 bot \
    && mkdir -p /app/data \
    && chown bot:bot /app/data
USER bot
WORKDIR /app
VOLUME /app/data

CMD ["python", "-m", "bot"]
