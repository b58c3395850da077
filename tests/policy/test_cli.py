"""`watchkeeper policy export|import FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.policy.edits import line_of, replace_once
from watchkeeper.audit.models import AuditEntry
from watchkeeper.cli import main
from watchkeeper.policy.models import Policy
from watchkeeper.policy.services import policy_export_yaml


def test_export_writes_the_file(default_yaml: str, tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "policy.yaml"
    assert main(["policy", "export", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == default_yaml
    assert "Wrote the incident policy" in capsys.readouterr().out


def test_export_to_stdout(default_yaml: str, capsys: Any) -> None:
    assert main(["policy", "export", "-"]) == 0
    assert capsys.readouterr().out == default_yaml


def test_import_applies_the_file_and_audits(default_yaml: str, tmp_path: Path, capsys: Any) -> None:
    source = tmp_path / "policy.yaml"
    source.write_text(replace_once(default_yaml, "version: '1.0'", "version: '1.1'"), encoding="utf-8")
    assert main(["policy", "import", str(source)]) == 0
    assert "Imported the incident policy" in capsys.readouterr().out
    assert Policy.objects.get().version == "1.1"
    entry = AuditEntry.objects.get(action="policy.import")
    assert (entry.actor_label, entry.via) == ("cli", "cli")


def test_import_refuses_a_bad_file_with_the_line_on_stderr(
    default_yaml: str, tmp_path: Path, capsys: Any
) -> None:
    text = replace_once(
        default_yaml, "medium: {high: P2, medium: P3, low: P4}", "medium: {high: P2, medium: P3, low: P7}"
    )
    source = tmp_path / "policy.yaml"
    source.write_text(text, encoding="utf-8")
    assert main(["policy", "import", str(source)]) == 1
    err = capsys.readouterr().err
    line = line_of(text, "low: P7")
    assert f"{source}: line {line}: matrix.medium.low: unknown priority 'P7'" in err
    assert "The policy was not changed." in err
    assert policy_export_yaml() == default_yaml


def test_import_of_a_missing_file_fails(db: None, tmp_path: Path, capsys: Any) -> None:
    assert main(["policy", "import", str(tmp_path / "nope.yaml")]) == 1
    assert "cannot read" in capsys.readouterr().err
