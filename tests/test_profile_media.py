"""Profiles where they are kept: on read-only media (a stick, a share mounted read only), on file
systems without hard links (FAT and exFAT), and written by an earlier version of the store."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_learning import ONE

from digitboard.cli import main
from digitboard.profile.examples import Example
from digitboard.profile.schema import SCHEMA_VERSION
from digitboard.profile.store import Profile


def examples(count: int) -> list[Example]:
    return [Example(1, [np.asarray(stroke, float) for stroke in ONE]) for _ in range(count)]


@pytest.fixture
def read_only(tmp_path):
    """A folder that becomes read-only media when `mount()` is called (a read-only bind mount,
    which binds root too: mode bits do not); skipped where this process may not mount."""
    folder = tmp_path / "stick"
    folder.mkdir()
    mounted = []

    def mount() -> Path:
        if getattr(os, "geteuid", lambda: -1)() != 0 or shutil.which("mount") is None:
            pytest.skip("a read-only bind mount needs root")
        result = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True)
        if result.returncode != 0:
            pytest.skip(f"cannot bind-mount here ({result.stderr.decode().strip()})")
        mounted.append(folder)
        return folder

    yield folder, mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_profile_on_read_only_media_is_read(read_only, capsys):
    """A WAL profile with no -shm beside it, in a folder that takes no files, could not be read."""
    folder, mount = read_only
    path = folder / "profile.sqlite"
    profile = Profile(path)
    profile.merge(examples(3))
    profile.close()
    assert sorted(os.listdir(folder)) == ["profile.sqlite"]  # no -wal, no -shm left
    mount()
    with pytest.raises(OSError):
        (folder / "probe").write_text("")  # really read only, for root too
    capsys.readouterr()
    assert main(["profile", "--profile", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["examples"] == 3
    assert main(["profile", "--profile", str(path), "--list"]) == 0
    assert len(Profile(path, writable=False).read().examples) == 3


def test_examples_still_in_the_wal_of_a_read_only_profile_are_read(read_only):
    """Read as an immutable file, a profile whose -wal holds examples would lose them: it is read
    from a copy instead."""
    folder, mount = read_only
    building = folder.parent / "building"
    building.mkdir()
    path = building / "profile.sqlite"
    Profile(path).merge(examples(2))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    Profile(path).merge(examples(3))  # these stay in the -wal while `holder` is open
    assert os.path.getsize(f"{path}-wal") > 0
    shutil.copyfile(path, folder / "profile.sqlite")
    shutil.copyfile(f"{path}-wal", folder / "profile.sqlite-wal")
    holder.close()
    mount()
    reader = Profile(folder / "profile.sqlite", writable=False)
    assert len(reader.read().examples) == 5 and len(reader.entries()) == 5
    reader.close()


def test_a_read_only_profile_is_never_written(read_only, capsys):
    folder, mount = read_only
    Profile(folder / "profile.sqlite").merge(examples(1))
    mount()
    assert main(["profile", "--profile", str(folder / "profile.sqlite"), "--import", str(folder / "profile.sqlite")]) == 2
    assert "profile itself" in capsys.readouterr().err


@pytest.fixture
def no_hard_links(monkeypatch):
    """A file system without hard links (FAT, exFAT): os.link fails as Linux says it there."""
    def link(source, destination, *args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", link)


def test_without_hard_links_a_profile_is_made_and_exported(tmp_path, no_hard_links, capsys):
    """Export always failed with a raw errno there, and no profile could be made."""
    path = tmp_path / "profile.sqlite"
    Profile(path).merge(examples(2))
    assert len(Profile(path).read().examples) == 2
    assert main(["profile", "--profile", str(path), "--export", str(tmp_path / "copy.sqlite")]) == 0
    assert len(Profile(tmp_path / "copy.sqlite").read().examples) == 2
    assert [name for name in os.listdir(tmp_path) if name.startswith(".")] == []  # no temporary file left


def test_without_hard_links_nothing_is_written_over_a_users_file(tmp_path, no_hard_links, capsys):
    path = tmp_path / "profile.sqlite"
    Profile(path).merge(examples(1))
    mine = tmp_path / "mine.sqlite"
    mine.write_bytes(b"the user's own file")
    assert main(["profile", "--profile", str(path), "--export", str(mine)]) == 2
    assert mine.read_bytes() == b"the user's own file" and "exists" in capsys.readouterr().err
    from digitboard.profile.media import place_new_file

    new = tmp_path / "new"
    new.write_bytes(b"new")
    with pytest.raises(FileExistsError):
        place_new_file(new, mine)  # taken between the check and the move: still refused
    assert mine.read_bytes() == b"the user's own file"


def test_without_hard_links_the_older_profile_is_imported_at_the_first_start(tmp_path, no_hard_links):
    old = tmp_path / "profile.jsonl"
    old.write_text(json.dumps({"learn": {"id": "a", "label": 3, "strokes": [[[0, 0], [10, 60]]]}}) + "\n")
    profile = Profile(tmp_path / "profile.sqlite")
    profile.create()
    assert [example.id for example in profile.read().examples] == ["a"] and profile.notices


def test_a_profile_of_the_first_version_is_read_and_brought_up_to_date(tmp_path):
    path = tmp_path / "profile.sqlite"
    Profile(path).merge(examples(2))
    with sqlite3.connect(path) as connection:  # as the first version of the store left it
        connection.execute("DROP INDEX examples_in_use")
        connection.execute("CREATE INDEX examples_by_digest ON examples (id, digest)")
        connection.execute("PRAGMA user_version = 1")
    assert len(Profile(path, writable=False).entries()) == 2  # read as it is
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
    Profile(path).merge(examples(1))
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        indexes = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "examples_in_use" in indexes and "examples_by_digest" not in indexes
        for columns in ("rowid, id, kind, label, created, tied_to", "id, digest"):  # entries, a recording's names
            plan = " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN SELECT {columns} FROM examples"))
            assert "COVERING INDEX examples_in_use" in plan  # from the index, not the rows
    assert len(Profile(path).read().examples) == 3
