"""Deterministic ids shared by the graph and the event log.

Every id is a uuid5 so that processing the same content twice, on any machine, yields the
same ids; that is what makes re-runs idempotent and lets the graph and the event log agree.
"""

from __future__ import annotations

import uuid

# A fixed namespace for project and interview ids (uuid5 of the product name in the URL space).
PRODUCT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://interview-graph.invalid/ids")


def project_id_for(project_name: str) -> str:
    return str(uuid.uuid5(PRODUCT_NAMESPACE, f"project:{project_name}"))


def interview_id_for(project_id: str, content_sha256: str) -> str:
    """Same project and same bytes give the same interview; a changed file is a new interview."""
    return str(uuid.uuid5(PRODUCT_NAMESPACE, f"interview:{project_id}:{content_sha256}"))


def sentence_id_for(interview_id: str, sequence_order: int) -> str:
    """Exactly the plan's composite key: uuid5(NAMESPACE_DNS, "{interview_id}:{index}")."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{interview_id}:{sequence_order}"))


def analysis_id_for(sentence_id: str, model: str, model_version: str) -> str:
    """One Analysis per sentence and model version: re-running is idempotent, another model adds."""
    return str(uuid.uuid5(PRODUCT_NAMESPACE, f"analysis:{sentence_id}:{model}:{model_version}"))


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
