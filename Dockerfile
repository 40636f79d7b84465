# attrition as a container: Debian slim with the Pango libraries WeasyPrint needs, the locked
# dependencies, and the service on port 8000. Untested on the development machines (no container
# daemon runs there); see README, "Containers".
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv

WORKDIR /srv/attrition
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/srv/attrition/.venv
# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY app app
COPY templates templates
COPY contracts contracts
RUN uv sync --frozen --no-dev

RUN useradd --system --uid 10001 --home-dir /var/lib/attrition --create-home attrition
USER attrition
ENV PATH=/srv/attrition/.venv/bin:$PATH \
    ATTRITION_DATA_DIR=/var/lib/attrition \
    ATTRITION_HOST=0.0.0.0 \
    ATTRITION_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["attrition", "serve"]
