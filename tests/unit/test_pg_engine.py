"""The engine layer that runs SQLite-spelled statements on PostgreSQL (no server needed)."""

from __future__ import annotations

from storage.postgres.engine import placeholders, translate


def test_placeholders_skip_literals_quoted_names_and_comments() -> None:
    sql = "SELECT '?', \"a?\", x FROM t WHERE a = ? AND b = 'it''s ?' -- really?\n AND c IN (?, ?)"
    assert placeholders(sql) == (
        "SELECT '?', \"a?\", x FROM t WHERE a = $1 AND b = 'it''s ?' -- really?\n AND c IN ($2, $3)"
    )


def test_insert_or_ignore_becomes_on_conflict_do_nothing_before_returning() -> None:
    assert translate("INSERT OR IGNORE INTO inbox (a, b) VALUES (?, ?)").sql == (
        "INSERT INTO inbox (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    )
    assert translate("INSERT OR IGNORE INTO digest_runs (a) VALUES (?) RETURNING 1").sql == (
        "INSERT INTO digest_runs (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1"
    )


def test_an_insert_into_a_table_with_ids_reports_the_new_id() -> None:
    one = translate("INSERT OR IGNORE INTO escalations (response_id) VALUES (?)")
    assert one.sql.endswith("ON CONFLICT DO NOTHING RETURNING id") and one.wants_id and one.fetch
    many = translate("INSERT INTO outbox (platform) VALUES (?)", True)
    assert not many.wants_id and not many.fetch  # executemany: nobody reads ids
    assert not translate("INSERT INTO inbox (a) VALUES (?)").wants_id  # no id column there


def test_sqlite_only_spellings_are_adapted() -> None:
    assert translate("SELECT CAST(x AS REAL) FROM t").sql == "SELECT CAST(x AS double precision) FROM t"
    assert translate("SELECT v FROM c INDEXED BY c_idx WHERE k = ?").sql == "SELECT v FROM c WHERE k = $1"
    assert translate("UPDATE t SET a = ? WHERE id = ?").fetch is False
    assert translate("UPDATE t SET a = ? RETURNING 1").fetch is True
