# trackrecord: the web app (uvicorn) and the scheduler run from this one image; see compose.yaml.
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && useradd --system --uid 1000 trackrecord
USER trackrecord
ENV TRACKRECORD_CONFIG_DIR=/config
EXPOSE 8000
CMD ["uvicorn", "--factory", "dashboards.app:from_environment", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
