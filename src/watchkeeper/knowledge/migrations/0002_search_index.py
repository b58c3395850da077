"""The full-text index of articles, one per database (ADR 0042).

SQLite: an FTS5 table over `title`, `tags` and `body` with the article table as its content,
kept in step by triggers (so a write that bypasses the services is indexed too). PostgreSQL: a
stored generated `tsvector` column (title weight A, tags B, body C) with a GIN index, and a small
one of the title and tags alone (`search_head`) to rank by. Django's
model does not name either: the selector queries them in SQL of its own.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE knowledge_article_fts USING fts5("
    "title, tags, body, content='knowledge_article', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER knowledge_article_ai AFTER INSERT ON knowledge_article BEGIN "
    "INSERT INTO knowledge_article_fts(rowid, title, tags, body) "
    "VALUES (new.id, new.title, new.tags, new.body); END",
    "CREATE TRIGGER knowledge_article_ad AFTER DELETE ON knowledge_article BEGIN "
    "INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, tags, body) "
    "VALUES ('delete', old.id, old.title, old.tags, old.body); END",
    "CREATE TRIGGER knowledge_article_au AFTER UPDATE OF title, tags, body ON knowledge_article BEGIN "
    "INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, tags, body) "
    "VALUES ('delete', old.id, old.title, old.tags, old.body); "
    "INSERT INTO knowledge_article_fts(rowid, title, tags, body) "
    "VALUES (new.id, new.title, new.tags, new.body); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_article_au",
    "DROP TRIGGER IF EXISTS knowledge_article_ad",
    "DROP TRIGGER IF EXISTS knowledge_article_ai",
    "DROP TABLE IF EXISTS knowledge_article_fts",
]
POSTGRES_FORWARD = [
    "ALTER TABLE knowledge_article ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(tags, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')) STORED",
    "CREATE INDEX knowledge_article_search ON knowledge_article USING gin (search)",
    # Title and tags alone: small, so ranking thousands of matches does not read every body.
    "ALTER TABLE knowledge_article ADD COLUMN search_head tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(tags, '')), 'B')) STORED",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_article_search",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_head",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
