"""Phones on the booth's Wi-Fi: the sell screen's script and styles are cached and sent compressed."""
import re
import zlib



def _asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def test_pages_link_fingerprinted_assets_that_a_phone_caches_for_a_year(app, client, world):
    page = client.get("/login").get_data(as_text=True)
    urls = _asset_urls(page)
    assert any("app.css" in u for u in urls) and all("?v=" in u for u in urls), urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
        response.close()


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    import os

    with app.test_request_context():
        from flask import url_for

        before = url_for("static", filename="js/sell.js")
        path = os.path.join(app.static_folder, "js/sell.js")
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
        try:
            after = url_for("static", filename="js/sell.js")
        finally:
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert before != after and before.split("?")[0] == after.split("?")[0]


def test_an_old_or_plain_url_is_revalidated_by_etag_not_cached_blindly(client):
    response = client.get("/static/js/sell.js?v=old")
    assert response.status_code == 200 and response.cache_control.no_cache
    etag = response.headers["ETag"]
    response.close()
    again = client.get("/static/js/sell.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_static_files_and_pages_go_out_compressed_to_a_browser_that_asks(app, client, world):
    plain = client.get("/static/js/sell.js")
    body = plain.get_data()
    plain.close()
    # What a phone's browser offers over plain HTTP on the booth's LAN.
    packed = client.get("/static/js/sell.js", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "deflate"
    data = packed.get_data()
    packed.close()
    assert zlib.decompress(data) == body and len(data) < len(body) / 2

    login_page = client.get("/login", headers={"Accept-Encoding": "gzip, deflate"})
    assert login_page.headers["Content-Encoding"] == "gzip"
    assert b"password" in zlib.decompress(login_page.data, 16 + zlib.MAX_WBITS)
