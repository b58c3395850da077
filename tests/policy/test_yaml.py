"""Export and import of the policy file: canonical bytes, and every problem named by line."""

from __future__ import annotations

import pytest

from tests.policy.edits import line_of, remove_item, replace_once
from watchkeeper.audit.models import AuditEntry
from watchkeeper.policy.documents import DEFAULT_POLICY_PATH
from watchkeeper.policy.models import Category, ImpactLevel, MatrixCell, Policy, Severity, UrgencyLevel
from watchkeeper.policy.services import PolicyFileError, policy_export_yaml, policy_import_yaml


def test_fresh_database_exports_the_default_file_byte_for_byte(default_yaml: str) -> None:
    assert default_yaml == DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


def test_export_import_export_is_byte_for_byte(default_yaml: str) -> None:
    policy_import_yaml(default_yaml, actor="cli", via="cli")
    assert policy_export_yaml() == default_yaml


def test_edited_file_round_trips_and_multiline_text_stays_a_block_literal(default_yaml: str) -> None:
    edited = replace_once(default_yaml, "title: Purpose\n", "title: Why we have this policy\n")
    edited = replace_once(
        edited,
        "    description: Planned work, fixed at the next convenient opportunity or maintenance window.\n",
        '    description: "Planned work.\\n\\nFix it   \\nin a maintenance window."\n',
    )
    policy_import_yaml(edited, actor="cli")
    exported = policy_export_yaml()
    assert "title: Why we have this policy" in exported
    # Trailing spaces are dropped so the text can be written as a literal block.
    assert (
        "    description: |\n      Planned work.\n\n      Fix it\n      in a maintenance window.\n"
        in exported
    )
    policy_import_yaml(exported, actor="cli")
    assert policy_export_yaml() == exported


def test_resume_on_client_reply_round_trips_and_is_on_when_a_file_predates_it(default_yaml: str) -> None:
    off = replace_once(default_yaml, "resume_on_client_reply: true\n", "resume_on_client_reply: false\n")
    policy_import_yaml(off, actor="cli")
    assert Policy.objects.get().resume_on_client_reply is False
    assert policy_export_yaml() == off
    policy_import_yaml(replace_once(off, "resume_on_client_reply: false\n", ""), actor="cli")
    assert Policy.objects.get().resume_on_client_reply is True


def _expect_error(text: str, message: str) -> None:
    before = policy_export_yaml()
    entries = AuditEntry.objects.count()
    with pytest.raises(PolicyFileError) as caught:
        policy_import_yaml(text, actor="cli")
    assert str(caught.value) == message
    assert policy_export_yaml() == before, "a refused file must change nothing"
    assert AuditEntry.objects.count() == entries


def test_yaml_syntax_error_names_the_line_and_changes_nothing(default_yaml: str) -> None:
    text = replace_once(default_yaml, "owner: Head of Service Delivery", "owner: Head: of Service Delivery")
    _expect_error(
        text, f"line {line_of(text, 'owner:')}: not valid YAML: mapping values are not allowed here"
    )


def test_unclosed_bracket_names_where_it_was_noticed_and_where_it_began(default_yaml: str) -> None:
    text = replace_once(default_yaml, "low: {high: P3, medium: P4, low: P5}", "low: {high: P3, medium: P4")
    start = line_of(text, "low: {high: P3")
    _expect_error(
        text,
        f"line {start + 1}: not valid YAML: expected ',' or '}}', but got ':' "
        f"(while parsing a flow mapping that starts on line {start})",
    )


def test_unknown_priority_in_matrix(default_yaml: str) -> None:
    text = replace_once(
        default_yaml, "high: {high: P1, medium: P2, low: P3}", "high: {high: P1, medium: P2, low: P9}"
    )
    line = line_of(text, "low: P9")
    _expect_error(text, f"line {line}: matrix.high.low: unknown priority 'P9' (known: P1, P2, P3, P4, P5)")


def test_missing_matrix_cell(default_yaml: str) -> None:
    text = replace_once(default_yaml, "low: {high: P3, medium: P4, low: P5}", "low: {high: P3, medium: P4}")
    line = line_of(text, "low: {high: P3, medium: P4}")
    _expect_error(
        text, f"line {line}: matrix.low.low: missing cell: impact 'low' × urgency 'low' needs a priority"
    )


def test_missing_matrix_row(default_yaml: str) -> None:
    text = replace_once(default_yaml, "  medium: {high: P2, medium: P3, low: P4}\n", "")
    _expect_error(
        text, f"line {line_of(text, 'high: {high: P1')}: matrix.medium: missing row for impact level 'medium'"
    )


def test_duplicate_cell_in_matrix_row(default_yaml: str) -> None:
    text = replace_once(
        default_yaml, "high: {high: P1, medium: P2, low: P3}", "high: {high: P1, high: P2, low: P3}"
    )
    line = line_of(text, "high: {high: P1, high: P2")
    _expect_error(text, f"line {line}: matrix.high.high: duplicate key (already on line {line})")


def test_duplicate_key_within_a_list(default_yaml: str) -> None:
    text = replace_once(default_yaml, "  - key: server\n", "  - key: network\n")
    first, second = line_of(text, "- key: network"), line_of(text, "- key: network", occurrence=2)
    _expect_error(
        text, f"line {second}: categories[1].key: duplicate key 'network' (already on line {first})"
    )


def test_duplicate_top_level_key(default_yaml: str) -> None:
    text = replace_once(
        default_yaml, "review_interval_days: 90\n", "review_interval_days: 90\nowner: Someone\n"
    )
    first, second = line_of(text, "owner:"), line_of(text, "owner: Someone")
    _expect_error(text, f"line {second}: owner: duplicate key (already on line {first})")


@pytest.mark.parametrize(
    ("old", "new", "marker", "problem"),
    [
        ("review_interval_days: 90", "review_interval_days: ninety", "review_interval_days",
         "review_interval_days: expected a whole number of days, got 'ninety'"),
        ("title: Incident management policy", "title: [a, b]", "title:", "title: expected text, got a list"),
        ("resume_on_client_reply: true", "resume_on_client_reply: sometimes", "resume_on_client_reply",
         "resume_on_client_reply: expected true or false, got 'sometimes'"),
        ("last_reviewed: null", "last_reviewed: 2026-02-30", "last_reviewed",
         "last_reviewed: expected an ISO date such as 2026-03-31, got '2026-02-30'"),
        ("title: Incident management policy", "title: !!python/name:os.system x", "title:",
         "title: unsupported YAML tag tag:yaml.org,2002:python/name:os.system"),
        ("  - key: purpose\n", "  - key: Bad Key\n", "Bad Key",
         "sections[0].key: 'Bad Key' is not a valid key (letters, digits, '-' or '_', up to 40 characters)"),
    ],
)  # fmt: skip
def test_wrong_type_names_line_and_field(
    default_yaml: str, old: str, new: str, marker: str, problem: str
) -> None:
    text = replace_once(default_yaml, old, new)
    _expect_error(text, f"line {line_of(text, marker)}: {problem}")


def test_unknown_key(default_yaml: str) -> None:
    text = replace_once(default_yaml, "    title: Purpose\n", "    title: Purpose\n    colour: red\n")
    _expect_error(
        text, f"line {line_of(text, 'colour')}: sections[0].colour: unknown key (expected: key, title, body)"
    )


def test_missing_required_key_names_the_mapping(default_yaml: str) -> None:
    text = replace_once(default_yaml, "owner: Head of Service Delivery\n", "")
    _expect_error(text, f"line {line_of(text, 'title:')}: owner: required key is missing")


def test_severity_default_must_be_a_known_level(default_yaml: str) -> None:
    text = replace_once(
        default_yaml, "    default_impact: high\n    default_urgency: high\n",
        "    default_impact: huge\n    default_urgency: high\n",
    )  # fmt: skip
    line = line_of(text, "default_impact: huge")
    _expect_error(
        text,
        f"line {line}: severities[0].default_impact: unknown impact level 'huge' (known: high, medium, low)",
    )


def test_severities_are_exactly_the_four_levels(default_yaml: str) -> None:
    text = replace_once(default_yaml, "  - key: info\n", "  - key: notice\n")
    _expect_error(
        text,
        f"line {line_of(text, 'key: notice')}: severities[3].key: unknown severity 'notice' "
        "(known: critical, error, warning, info)",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty"),
        ("- title: x\n", "line 1: expected a mapping of policy fields, got a list"),
        ("title: a\n---\ntitle: b\n",
         "line 2: not valid YAML: expected a single document in the stream but found another document"),
        ("title: a\nowner: \x07\n", "line 2: not valid YAML: the control character #x0007 is not allowed"),
    ],
)  # fmt: skip
def test_files_that_are_not_a_policy(db: None, text: str, message: str) -> None:
    _expect_error(text, message)


def test_import_replaces_levels_in_place_and_removes_what_is_gone(default_yaml: str) -> None:
    high_id = ImpactLevel.objects.get(key="high").pk
    # First point a severity at the "medium" urgency, so removing that level must move it off first.
    info = "    default_impact: low\n    default_urgency: low\n"
    policy_import_yaml(
        replace_once(default_yaml, info, info.replace("urgency: low", "urgency: medium")), actor="cli"
    )
    assert Severity.objects.get(key="info").default_urgency.key == "medium"
    text = replace_once(default_yaml, "name: Network and connectivity", "name: Networks")
    text = remove_item(text, "categories", "cloud")
    # Drop the "medium" urgency: its column in the matrix, its level, and severities using it.
    text = text.replace(", medium: P2,", ",").replace(", medium: P3,", ",").replace(", medium: P4,", ",")
    text = remove_item(text, "urgency_levels", "medium")
    policy_import_yaml(text, actor="cli")
    assert ImpactLevel.objects.get(key="high").pk == high_id
    assert Category.objects.get(key="network").name == "Networks"
    assert not Category.objects.filter(key="cloud").exists()
    assert list(UrgencyLevel.objects.values_list("key", flat=True)) == ["high", "low"]
    assert MatrixCell.objects.count() == 6
    assert Severity.objects.get(key="info").default_urgency.key == "low"
    assert policy_export_yaml() == text
