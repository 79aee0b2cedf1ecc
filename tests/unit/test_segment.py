"""Sentence segmentation with the real spaCy model, in-process and with worker processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_graph.analysis.port import ParsedSentence
from interview_graph.domain.ids import sentence_id_for
from interview_graph.pipeline.readers import Transcript, read_transcript
from interview_graph.pipeline.segment import (
    FALLBACK_MODEL,
    MAX_PIECE_CHARS,
    SpacySegmenter,
    resolve_model_name,
    split_long,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(ROOT))
from bench.transcript_gen import generate_transcript  # noqa: E402

INTERVIEW = "5b0c6f1e-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def segmenter() -> Iterator[SpacySegmenter]:
    with SpacySegmenter(processes=1) as instance:
        yield instance


def transcript_of(tmp_path: Path, text: str, name: str = "t.txt") -> Transcript:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_transcript(path, max_bytes=1 << 30)


def assert_consistent(transcript: Transcript, parsed: list[ParsedSentence]) -> None:
    assert [p.sentence.sequence_order for p in parsed] == list(range(len(parsed)))
    for item in parsed:
        sentence = item.sentence
        assert transcript.text[sentence.start_char : sentence.end_char] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
        assert sentence.sentence_id == sentence_id_for(INTERVIEW, sentence.sequence_order)
        segment = next(
            s
            for s in transcript.segments
            if s.char_offset <= sentence.start_char < s.char_offset + len(s.text)
        )
        assert sentence.end_char <= segment.char_offset + len(segment.text)
        assert (sentence.speaker, sentence.start_ms, sentence.end_ms) == (
            segment.speaker,
            segment.start_ms,
            segment.end_ms,
        )


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir()))
def test_offsets_round_trip_on_every_sample(segmenter: SpacySegmenter, sample: str) -> None:
    transcript = read_transcript(SAMPLES / sample, max_bytes=1 << 24)
    parsed = segmenter.parse_all(transcript, INTERVIEW)
    assert 40 <= len(parsed) <= 150
    assert_consistent(transcript, parsed)


def test_timestamps_come_from_the_segment(segmenter: SpacySegmenter) -> None:
    transcript = read_transcript(SAMPLES / "reporting-workflow.vtt", max_bytes=1 << 24)
    parsed = segmenter.parse_all(transcript, INTERVIEW)
    mismatch = next(p.sentence for p in parsed if p.sentence.text.startswith("Mostly time zones"))
    assert (mismatch.speaker, mismatch.start_ms, mismatch.end_ms) == ("Luis Romero", 46_400, 57_000)


def test_run_on_sentence_of_20000_chars(segmenter: SpacySegmenter, tmp_path: Path) -> None:
    clause = "and then we opened the spreadsheet again because the numbers were wrong "
    run_on = "So " + clause * (20_100 // len(clause)) + "and that was it."
    transcript = transcript_of(tmp_path, f"Bob: What happened?\nAnn: {run_on}\nBob: I see.\n")
    assert transcript.segments[1].text == run_on and len(run_on) > 20_000
    parsed = segmenter.parse_all(transcript, INTERVIEW)
    assert_consistent(transcript, parsed)
    assert all(len(p.sentence.text) <= MAX_PIECE_CHARS for p in parsed)
    middle = [p.sentence.text for p in parsed if p.sentence.speaker == "Ann"]
    assert len(middle) >= 2
    assert "".join(middle).replace(" ", "") == run_on.replace(" ", "")
    assert parsed[-1].sentence.text == "I see."


def test_long_file_without_line_breaks_streams_in_chunks(tmp_path: Path) -> None:
    body = " ".join(f"Sentence number {n} talks about the dashboard export." for n in range(4_000))
    transcript = transcript_of(tmp_path, body)
    assert len(transcript.segments) == 1
    with SpacySegmenter(processes=1, job_chars=20_000) as local:
        chunks = list(local.iter_parsed(transcript, INTERVIEW))
    assert len(chunks) > 5
    parsed = [p for chunk in chunks for p in chunk]
    assert len(parsed) == 4_000
    assert_consistent(transcript, parsed)


def test_split_long_keeps_offsets_and_cuts_at_whitespace() -> None:
    text = ("word " * 5_000) + ("x" * 25_000)
    pieces = list(split_long(text, 100, max_chars=10_000))
    assert "".join(piece for piece, _ in pieces) == text
    offset = 100
    for piece, piece_offset in pieces:
        assert piece_offset == offset
        assert len(piece) <= 10_000
        offset += len(piece)
    assert pieces[0][0].endswith("word ") or pieces[1][0].startswith(" ")


def test_two_worker_processes_match_in_process_results(
    segmenter: SpacySegmenter, tmp_path: Path
) -> None:
    transcript = transcript_of(tmp_path, generate_transcript(600, seed=3))
    expected = segmenter.parse_all(transcript, INTERVIEW)
    with SpacySegmenter(processes=2) as pooled:
        first = pooled.parse_all(transcript, INTERVIEW)
        workers = pooled._pool
        second = pooled.parse_all(
            read_transcript(SAMPLES / "pricing-call.md", max_bytes=1 << 24), "x"
        )
        assert pooled._pool is workers, "workers must be reused across files"
    assert first == expected
    assert len(expected) == 600
    assert len(second) > 40
    assert pooled._pool is None


def test_workers_start_lazily_and_restart_after_close(tmp_path: Path) -> None:
    transcript = transcript_of(tmp_path, "Ann: One sentence here. Another one.\n")
    pooled = SpacySegmenter(processes=2)
    assert pooled._pool is None
    try:
        assert len(pooled.parse_all(transcript, INTERVIEW)) == 2
        pooled.close()
        assert len(pooled.parse_all(transcript, INTERVIEW)) == 2
    finally:
        pooled.close()


def test_model_resolution() -> None:
    assert resolve_model_name("my_model") == "my_model"
    assert resolve_model_name(None) in ("en_core_web_sm", FALLBACK_MODEL)


@pytest.mark.parametrize("processes", [1, 2])
def test_missing_model_names_the_setting(tmp_path: Path, processes: int) -> None:
    transcript = transcript_of(tmp_path, "Ann: Hello.\n")
    with (
        SpacySegmenter("no_such_model_xyz", processes=processes) as broken,
        pytest.raises(RuntimeError) as caught,
    ):
        broken.parse_all(transcript, INTERVIEW)
    assert "no_such_model_xyz" in str(caught.value)
    assert "SPACY_MODEL" in str(caught.value)


def test_a_dead_worker_is_reported_and_replaced(tmp_path: Path) -> None:
    import os
    import signal

    transcript = transcript_of(tmp_path, generate_transcript(300, seed=5))
    with SpacySegmenter(processes=2) as pooled:
        pooled.warm_up()
        chunks = pooled.iter_parsed(transcript, INTERVIEW)
        os.kill(pooled.worker_pids()[0], signal.SIGKILL)
        with pytest.raises(RuntimeError, match="worker process died"):
            list(chunks)
        assert len(pooled.parse_all(transcript, INTERVIEW)) == 300


def test_fast_attribute_ruler_matches_the_stock_component() -> None:
    from spacy.tokens import DocBin

    from interview_graph.pipeline.fast_rules import FastAttributeRuler
    from interview_graph.pipeline.segment import load_nlp

    nlp = load_nlp(resolve_model_name(None))
    stock = nlp.get_pipe("attribute_ruler")
    fast = FastAttributeRuler(stock)
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLES.iterdir())]
    texts.append("Y'all gonna come? I ain't got nothin'. Let's go, c'm on! There is one. Gets it.")
    before = DocBin()
    for text in texts:
        doc = nlp.make_doc(text)
        for name in nlp.pipe_names[: nlp.pipe_names.index("attribute_ruler")]:
            doc = nlp.get_pipe(name)(doc)
        before.add(doc)
    data = before.to_bytes()
    expected = [stock(doc) for doc in DocBin().from_bytes(data).get_docs(nlp.vocab)]
    got = [fast(doc) for doc in DocBin().from_bytes(data).get_docs(nlp.vocab)]

    def attributes(docs: list[object]) -> list[tuple[str, str, str, str, str]]:
        return [
            (t.pos_, str(t.morph), t.lemma_, t.tag_, t.dep_)
            for doc in docs
            for t in doc  # type: ignore[attr-defined]
        ]

    assert attributes(got) == attributes(expected)
    assert len(attributes(got)) > 3_000
