"""Settings, read once from the environment (and an optional .env file).

Nothing here connects to anything; `bootstrap` turns these values into adapters.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path(".interview-graph"), alias="DATA_DIR")

    graph_backend: Literal["falkordb", "neo4j"] = Field(default="falkordb", alias="GRAPH_BACKEND")
    falkordb_graph: str = Field(default="interview_graph", alias="FALKORDB_GRAPH")
    # The embedded server stays up this long after its last user, for the next command to
    # find it warm; 0 stops it with its last user.
    falkordb_idle_seconds: float = Field(default=300.0, ge=0, alias="FALKORDB_IDLE_SECONDS")
    # Extra redis-server arguments (e.g. "--maxmemory 4gb"); ours win where they overlap.
    falkordb_server_args: str = Field(default="", alias="FALKORDB_SERVER_ARGS")
    neo4j_uri: str = Field(default="bolt://127.0.0.1:7687", alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", alias="NEO4J_USER")
    neo4j_password: SecretStr = Field(default=SecretStr("neo4j"), alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", alias="NEO4J_DATABASE")

    spacy_model: str | None = Field(default=None, alias="SPACY_MODEL")
    nlp_processes: int = Field(default=2, ge=1, le=64, alias="NLP_PROCESSES")
    domain_lexicon: Path | None = Field(default=None, alias="DOMAIN_LEXICON")
    max_file_mb: int = Field(default=200, ge=1, alias="MAX_FILE_MB")
    # Files one upload request (POST /api/transcripts) may carry.
    max_upload_files: int = Field(default=20, ge=1, le=1000, alias="MAX_UPLOAD_FILES")

    enable_event_sourcing: bool = Field(default=False, alias="ENABLE_EVENT_SOURCING")
    event_store_url: str | None = Field(default=None, alias="EVENT_STORE_URL")
    esdb_connection_string: str | None = Field(default=None, alias="ESDB_CONNECTION_STRING")

    log_level: str = Field(default="WARNING", alias="LOG_LEVEL")

    # The HTTP API (`serve`). Tokens are required when API_AUTH is on, and always when the
    # server listens beyond loopback (`serve` turns API_AUTH on then).
    api_auth: bool = Field(default=False, alias="API_AUTH")
    api_access_log: bool = Field(default=True, alias="API_ACCESS_LOG")
    api_metrics: bool = Field(default=True, alias="API_METRICS")
    # Browser origins allowed to call the API from their pages, comma-separated; none by default.
    cors_origins: str = Field(default="", alias="CORS_ORIGINS")

    # LLM analysis (--analyzer openai|anthropic). Keys come from the environment (or .env) only.
    analyzer: Literal["offline", "openai", "anthropic"] = Field(default="offline", alias="ANALYZER")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    anthropic_api_key: SecretStr | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, alias="ANTHROPIC_BASE_URL")
    llm_model: str | None = Field(default=None, alias="LLM_MODEL")
    llm_concurrency: int = Field(default=8, ge=1, le=256, alias="LLM_CONCURRENCY")
    llm_sentences_per_call: int = Field(default=1, ge=1, le=50, alias="LLM_SENTENCES_PER_CALL")
    llm_timeout_seconds: float = Field(default=60.0, gt=0, alias="LLM_TIMEOUT_SECONDS")
    llm_max_retries: int = Field(default=4, ge=0, le=20, alias="LLM_MAX_RETRIES")
    llm_max_retry_wait_seconds: float = Field(
        default=60.0, gt=0, alias="LLM_MAX_RETRY_WAIT_SECONDS"
    )
    llm_cache: bool = Field(default=True, alias="LLM_CACHE")
    llm_context_topic: int = Field(default=2, ge=0, le=6, alias="LLM_CONTEXT_TOPIC")
    llm_context_purpose: int = Field(default=4, ge=0, le=6, alias="LLM_CONTEXT_PURPOSE")
    llm_context_broad: int = Field(default=6, ge=0, le=6, alias="LLM_CONTEXT_BROAD")

    @property
    def falkordb_dir(self) -> Path:
        return self.data_dir / "falkordb"

    @property
    def sqlite_event_store_path(self) -> Path:
        return self.data_dir / "events.sqlite3"

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def redact_url(url: str) -> str:
    """Hide the password of a connection string before it reaches a log or an error."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
