"""The keyword index of image texts: SQLite FTS5 in the embedded default, PostgreSQL full text on
PostgreSQL, a plain LIKE scan elsewhere. Raw SQL over one table, browser_image_text, created by
migration 0002; browser.services.keywords keeps it in sync."""
from __future__ import annotations

import re
import unicodedata

from django.db import connection

TABLE = "browser_image_text"
_WORD = re.compile(r"\w+", re.UNICODE)
_DOTTED_CODE = re.compile(r"\b([A-Za-z][0-9][0-9A-Za-z]*)\.([0-9A-Za-z]+)\b")  # C71.9, J18.9, V10.3

CREATE_SQL = {
    "sqlite": [f"CREATE VIRTUAL TABLE {TABLE} USING fts5(body, tokenize='porter unicode61')"],
    "postgresql": [
        f"CREATE TABLE {TABLE} (image_id bigint PRIMARY KEY, body text NOT NULL, "
        "document tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED)",
        f"CREATE INDEX {TABLE}_document ON {TABLE} USING GIN (document)",
    ],
    "other": [f"CREATE TABLE {TABLE} (image_id bigint PRIMARY KEY, body text NOT NULL)"],
}


def vendor() -> str:
    return connection.vendor if connection.vendor in ("sqlite", "postgresql") else "other"


def query_words(text: str) -> list[str]:
    """Lower-case words without accents; a dotted code is one word without its dot, as the index holds it
    (see browser.selectors.searchable_code), so "C71.9" does not match C71.0 with a "9 mm" in its notes."""
    text = _DOTTED_CODE.sub(lambda match: match.group(1) + match.group(2), fold_accents(text or ""))
    return [word.lower() for word in _WORD.findall(text)][:32]


def fold_accents(text: str) -> str:
    """"neumonía" -> "neumonia": indexed texts and queries alike, so that either spelling finds the other.
    SQLite's unicode61 tokenizer folds by itself; PostgreSQL's English configuration does not."""
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def has_terms(text: str) -> bool:
    """Whether `text` holds words the index can match. On PostgreSQL English stop words alone ("the", "of a")
    make an empty query that matches nothing, so they count as no words (a plain content query)."""
    words = query_words(text)
    if not words or vendor() != "postgresql":
        return bool(words)
    with connection.cursor() as cursor:
        cursor.execute(*terms_sql(words))
        return cursor.fetchone()[0] > 0


def terms_sql(words: list[str]) -> tuple[str, list]:
    """PostgreSQL: how many nodes the query of these words keeps once stop words are dropped."""
    return "SELECT numnode(to_tsquery('english', %s))", [postgres_tsquery(words)]


def postgres_tsquery(words: list[str]) -> str:
    """Every word must match, each as a prefix."""
    return " & ".join(f"{word}:*" for word in words)


def fts5_query(words: list[str]) -> str:
    """Every word must match, each as a prefix ('pneumo' finds 'pneumonia'); quoting defuses FTS5 syntax."""
    return " AND ".join(f'"{word}"*' for word in words)


def replace_texts(texts: dict[int, str]) -> None:
    """Insert or replace the text of each image id."""
    if not texts:
        return
    remove_texts(list(texts))
    key = "rowid" if vendor() == "sqlite" else "image_id"
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {TABLE} ({key}, body) VALUES (%s, %s)",
                           [(image_id, fold_accents(body)) for image_id, body in texts.items()])


def remove_texts(image_ids: list[int]) -> None:
    key = "rowid" if vendor() == "sqlite" else "image_id"
    with connection.cursor() as cursor:
        for start in range(0, len(image_ids), 500):
            chunk = image_ids[start:start + 500]
            cursor.execute(f"DELETE FROM {TABLE} WHERE {key} IN ({', '.join(['%s'] * len(chunk))})", chunk)


def clear_texts() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")


def match_images(text: str, *, limit: int) -> list[tuple[int, float]]:
    """(image id, relevance > 0) of images whose text has every word of `text`, most relevant first."""
    words = query_words(text)
    if not words:
        return []
    sql, params = match_sql(words, limit, vendor())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(image_id), float(relevance)) for image_id, relevance in cursor.fetchall()]


def match_sql(words: list[str], limit: int, kind: str) -> tuple[str, list]:
    """(SQL, parameters) of a keyword match for one database kind ("sqlite", "postgresql", "other")."""
    if kind == "sqlite":
        # bm25() is lower for better matches; negate it so that higher is better everywhere.
        return (f"SELECT rowid, -bm25({TABLE}) FROM {TABLE} WHERE {TABLE} MATCH %s "
                f"ORDER BY bm25({TABLE}), rowid LIMIT %s", [fts5_query(words), limit])
    if kind == "postgresql":
        tsquery = postgres_tsquery(words)
        return (f"SELECT image_id, ts_rank(document, to_tsquery('english', %s)) AS relevance FROM {TABLE} "
                f"WHERE document @@ to_tsquery('english', %s) ORDER BY relevance DESC, image_id LIMIT %s",
                [tsquery, tsquery, limit])
    conditions = " AND ".join(["LOWER(body) LIKE %s"] * len(words))
    return (f"SELECT image_id, 1.0 FROM {TABLE} WHERE {conditions} ORDER BY image_id LIMIT %s",
            [*(f"%{word}%" for word in words), limit])
