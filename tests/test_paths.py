"""digitboard.paths: what a path is, in words on one line, whatever its name."""

from __future__ import annotations

import ast
import os
import socket
from pathlib import Path

import pytest

from digitboard import paths
from digitboard.paths import describe, require_readable_file, require_writable_target, shown


def project_imports(module) -> set[str]:
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 for alias in node.names}
    return {name for name in imported if name.split(".")[0] == "digitboard"}


def test_the_module_imports_nothing_of_the_project_but_the_platform_module():
    from digitboard import platforms

    assert project_imports(paths) == {"digitboard.platforms"}
    assert project_imports(platforms) == set()


@pytest.mark.parametrize(("name", "expected"), [
    ("model.keras", "model.keras"),
    ("my models/ünïcode 7.keras", "my models/ünïcode 7.keras"),
    ("two\nlines.keras", "'two\\nlines.keras'"),
    ("bell\x07\x1b[2J.npz", "'bell\\x07\\x1b[2J.npz'"),
    ("tab\there", "'tab\\there'"),
    ("it's\r", '"it\'s\\r"'),
])
def test_shown_keeps_a_plain_name_and_escapes_any_other(name, expected):
    assert shown(name) == expected
    assert shown(Path(name)) == expected
    assert shown(name).isprintable()


def test_an_undecodable_file_name_is_shown_escaped(tmp_path):
    name = os.fsdecode(b"caf\xe9.npz")  # Latin-1 bytes on a UTF-8 system: a lone surrogate
    assert shown(tmp_path / name).endswith("caf\\udce9.npz'")


def test_describe_says_what_each_kind_of_path_is(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dangling").symlink_to(tmp_path / "absent")
    (tmp_path / "link").symlink_to(tmp_path / "folder")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / "socket"))
        assert describe(tmp_path / "socket") == "is a socket"
    assert describe(tmp_path / "file") == "is a file"
    assert describe(tmp_path / "folder") == "is a folder"
    assert describe(tmp_path / "link") == "is a folder"
    assert describe(tmp_path / "fifo") == "is a named pipe (FIFO)"
    assert describe(os.devnull) == "is a character device"
    assert describe(tmp_path / "absent") == "does not exist"
    assert describe(tmp_path / "dangling") == "is a symbolic link to nothing"
    assert describe(tmp_path / "file" / "under") == "does not exist (a folder on its way is a file)"
    assert describe("nul\0byte") == "is not a possible file name"


def test_describe_says_when_a_file_cannot_be_read(tmp_path):
    locked = tmp_path / "locked"
    locked.write_text("x")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("this user (root) reads any file")
        assert describe(locked) == "is a file that cannot be read (Permission denied)"
        with pytest.raises(PermissionError, match="--profile"):
            require_readable_file(locked, "--profile")
    finally:
        locked.chmod(0o600)


def test_require_readable_file_names_the_option_and_what_is_there(tmp_path):
    (tmp_path / "ok.npz").write_bytes(b"x")
    os.mkfifo(tmp_path / "fifo")
    assert require_readable_file(str(tmp_path / "ok.npz"), "--mnist") == tmp_path / "ok.npz"
    two_lines = tmp_path / "a\nb"
    with pytest.raises(FileNotFoundError) as missing:
        require_readable_file(two_lines, "--mnist")
    assert str(missing.value) == f"--mnist {shown(two_lines)}: does not exist" and "\n" not in str(missing.value)
    with pytest.raises(ValueError, match=r"^--profile .*fifo: is a named pipe \(FIFO\), not a file$"):
        require_readable_file(tmp_path / "fifo", "--profile")
    with pytest.raises(ValueError, match=r"^.*: is a folder, not a file$"):
        require_readable_file(tmp_path)


def test_require_writable_target_checks_the_folder_and_what_is_at_the_path(tmp_path):
    (tmp_path / "existing.keras").write_bytes(b"x")
    (tmp_path / "folder.keras").mkdir()
    os.mkfifo(tmp_path / "fifo")
    assert require_writable_target(tmp_path / "new.keras", "--out") == tmp_path / "new.keras"
    assert require_writable_target(tmp_path / "existing.keras", "--out") == tmp_path / "existing.keras"
    with pytest.raises(ValueError, match=r"folder.keras: is a folder; give the name of a file to write$"):
        require_writable_target(tmp_path / "folder.keras", "--out")
    with pytest.raises(ValueError, match=r"fifo: is a named pipe \(FIFO\); give the name"):
        require_writable_target(tmp_path / "fifo", "--out")
    with pytest.raises(ValueError, match=r"its folder .*fifo is a named pipe"):
        require_writable_target(tmp_path / "fifo" / "m.keras", "--out")
    with pytest.raises(FileNotFoundError, match=r"^--out .*absent/m.keras: its folder .*absent does not exist$"):
        require_writable_target(tmp_path / "absent" / "m.keras", "--out")
    with pytest.raises(ValueError, match=r"is a character device"):
        require_writable_target(os.devnull, "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.keras", "fifo", "folder.keras"]


def test_require_writable_target_tries_the_folder(tmp_path):
    """A folder that takes no file: mode 555 for a user other than root, else /sys (which takes
    none in most containers)."""
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    if os.access(folder, os.W_OK):  # root writes anyway: try /sys
        folder = Path("/sys")
        if not folder.is_dir() or os.access(folder, os.W_OK) and not _refuses_files(folder):
            pytest.skip("no folder refuses new files to this user here")
    with pytest.raises(PermissionError, match=rf"^--out {folder}/m.keras: cannot write in its folder {folder} \("):
        require_writable_target(folder / "m.keras", "--out")


def _refuses_files(folder: Path) -> bool:
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            return False
    except OSError:
        return True
