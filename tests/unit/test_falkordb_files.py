"""The embedded server's reply parser and its view of the append-only file's manifest."""

from __future__ import annotations

from pathlib import Path

from interview_graph.graph.falkordb_control import ServerReplyError, _parse, parse_info
from interview_graph.graph.falkordb_layout import ServerFiles


def test_replies_are_parsed_only_once_complete() -> None:
    reply = b"*3\r\n$5\r\nhello\r\n:42\r\n+OK\r\n"
    for cut in range(len(reply)):
        assert _parse(bytearray(reply[:cut]), 0) is None
    assert _parse(bytearray(reply + b"+next\r\n"), 0) == ([b"hello", 42, b"OK"], len(reply))


def test_an_error_reply_is_an_error_value() -> None:
    parsed = _parse(bytearray(b"-LOADING Redis is loading the dataset in memory\r\n"), 0)
    assert parsed is not None and isinstance(parsed[0], ServerReplyError)
    assert str(parsed[0]).startswith("LOADING")


def test_info_sections_become_a_mapping() -> None:
    info = parse_info(b"# Persistence\r\nloading:1\r\nloading_loaded_bytes:1024\r\n")
    assert info == {"loading": "1", "loading_loaded_bytes": "1024"}


def test_the_manifest_gives_the_files_in_load_order_and_their_sizes(tmp_path: Path) -> None:
    files = ServerFiles(tmp_path)
    files.aof_dir.mkdir()
    (files.aof_dir / "appendonly.aof.3.base.rdb").write_bytes(b"r" * 500)
    (files.aof_dir / "appendonly.aof.2.incr.aof").write_bytes(b"h" * 7)
    (files.aof_dir / "appendonly.aof.3.incr.aof").write_bytes(b"i" * 100)
    (files.aof_dir / "appendonly.aof.4.incr.aof").write_bytes(b"i" * 20)
    files.manifest_path.write_text(
        "file appendonly.aof.2.incr.aof seq 2 type h\n"
        "file appendonly.aof.3.base.rdb seq 3 type b\n"
        "file appendonly.aof.3.incr.aof seq 3 type i\n"
        "file appendonly.aof.4.incr.aof seq 4 type i startoffset 0 endoffset 20\n"
    )
    assert [(f.path.name, f.kind, f.size) for f in files.log_files()] == [
        ("appendonly.aof.3.base.rdb", "b", 500),
        ("appendonly.aof.3.incr.aof", "i", 100),
        ("appendonly.aof.4.incr.aof", "i", 20),
    ]
    assert files.snapshot_and_log_bytes() == (500, 120)
    assert files.loaded_bytes(files.aof_dir / "appendonly.aof.4.incr.aof", 5) == (605, 620)


def test_no_manifest_means_nothing_to_load(tmp_path: Path) -> None:
    assert ServerFiles(tmp_path).snapshot_and_log_bytes() == (0, 0)
