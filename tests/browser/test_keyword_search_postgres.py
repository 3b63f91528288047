"""The PostgreSQL flavour of the keyword index (tsvector + GIN, prefix tsquery) against a real
throwaway PostgreSQL 15 cluster: the very SQL browser.keywords runs when the database is PostgreSQL."""
import psycopg
import pytest

from browser import keywords
from browser.selectors import searchable_code
from tests.browser.servers import running_postgres

pytestmark = pytest.mark.services

TEXTS = {
    1: "patchy consolidation right lower lobe pneumonia",
    2: "clear lungs no consolidation",
    3: "Malignant neoplasm of brain, unspecified C71.9 enhancing mass",
    4: "pneumothorax after line placement",
    5: " ".join(("glioma", *searchable_code("C71.0"), "lesion of 9 mm")),  # as browser.selectors indexes codes
    6: " ".join(("glioma", *searchable_code("C71.9"))),
    7: "Neumonía bilateral de la base",
}


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as conninfo:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for statement in keywords.CREATE_SQL["postgresql"]:
                connection.execute(statement)
            connection.cursor().executemany(f"INSERT INTO {keywords.TABLE} (image_id, body) VALUES (%s, %s)",
                                            [(key, keywords.fold_accents(body)) for key, body in TEXTS.items()])
            yield connection


def match(connection, text: str, limit: int = 10) -> list[tuple[int, float]]:
    sql, params = keywords.match_sql(keywords.query_words(text), limit, "postgresql")
    return [(int(image_id), float(score)) for image_id, score in connection.execute(sql, params).fetchall()]


def test_every_word_must_match_and_stems_are_found(postgres):
    assert [image_id for image_id, _ in match(postgres, "consolidation")] in ([1, 2], [2, 1])
    assert [image_id for image_id, _ in match(postgres, "lobe consolidations")] == [1]


def test_words_are_prefixes(postgres):
    assert [image_id for image_id, _ in match(postgres, "pneumo")] in ([1, 4], [4, 1])


def test_code_display_names_are_searchable(postgres):
    assert [image_id for image_id, _ in match(postgres, "neoplasm brain")] == [3]


def test_results_are_ordered_by_rank_and_limited(postgres):
    found = match(postgres, "consolidation", limit=1)

    assert len(found) == 1 and found[0][1] > 0


def test_query_syntax_is_harmless(postgres):
    assert {image_id for image_id, _ in match(postgres, "') | !consolidation & (")} == {1, 2}
    assert match(postgres, "!!! ::") == []


def test_the_table_uses_a_gin_index(postgres):
    rows = postgres.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [keywords.TABLE]).fetchall()

    assert any("gin" in definition.lower() for (definition,) in rows)


def test_a_dotted_code_finds_that_code_and_not_its_digits_elsewhere(postgres):
    assert [image_id for image_id, _ in match(postgres, "C71.9")] == [6]


def test_accents_do_not_matter_either_way(postgres):
    assert [image_id for image_id, _ in match(postgres, "neumonia")] == [7]
    assert [image_id for image_id, _ in match(postgres, "NEUMONÍA bilateral")] == [7]


def test_stop_words_alone_are_no_query_and_do_not_empty_one_with_words(postgres):
    def nodes(text: str) -> int:
        return postgres.execute(*keywords.terms_sql(keywords.query_words(text))).fetchone()[0]

    assert nodes("the") == 0 and nodes("of a") == 0
    assert nodes("the glioma") > 0 and [image_id for image_id, _ in match(postgres, "the glioma")] in ([5, 6], [6, 5])
