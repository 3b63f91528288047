"""The site root serves the built single-page app, or says how to build it."""


def test_index_serves_built_index_html_read_at_request_time(client, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    (tmp_path / "index.html").write_text('<script src="/static/assets/index-abc.js"></script>', encoding="utf-8")

    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/static/assets/index-abc.js" in response.content
    assert "csrftoken" in response.cookies


def test_index_without_build_answers_503_with_how_to_build(client, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path / "missing"

    response = client.get("/")

    assert response.status_code == 503
    assert response.content.decode() == "frontend not built: run make demo"


def test_index_refuses_post(client, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path

    response = client.post("/")

    assert response.status_code == 405


def test_index_lists_the_languages_of_the_settings_in_its_language_menu(client, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    settings.LANGUAGES = [("en", "English"), ("de", "Deutsch <DE>")]
    (tmp_path / "index.html").write_text(
        '<select id="language"><!--languages: from the server--><option value="en">English</option>'
        '<!--/languages--></select><select id="other"><!--/languages--></select>', encoding="utf-8")

    html = client.get("/").content.decode()

    assert ('<select id="language"><!--languages: from the server--><option value="en">English</option>'
            '<option value="de">Deutsch &lt;DE&gt;</option><!--/languages--></select>') in html
    assert html.count("<option") == 2
