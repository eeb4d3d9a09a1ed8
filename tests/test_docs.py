"""The docs page works offline: every asset is the service's own, and a
headless browser renders every operation of the contract."""

import os
import re
import shutil
import subprocess
import tempfile

import httpx
import pytest

from tests.support import LiveServer
from tests.test_conformance import contract_operations

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
INSTALL_HINT = (
    "Chromium is not installed: `sudo apt-get install chromium` (Debian), or"
    " your system's chromium package"
)


def test_every_asset_of_the_docs_page_is_served_by_the_service(
    server: LiveServer,
) -> None:
    page = httpx.get(f"{server.base_url}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"

    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(references) >= 3, references
    for reference in references:
        assert reference.startswith("/"), f"{reference} is not the service's own"
        asset = httpx.get(f"{server.base_url}{reference}")
        assert asset.status_code == 200, reference
        suffix = reference[reference.rfind(".") :]
        assert asset.headers["content-type"] == CONTENT_TYPES[suffix], reference
    assert "http://" not in page.text
    assert "https://" not in page.text


def test_the_license_of_swagger_ui_is_served_beside_it(server: LiveServer) -> None:
    license_text = httpx.get(f"{server.base_url}/docs/assets/LICENSE").text

    assert "Apache License" in license_text


def test_the_index_links_to_the_docs_and_the_contract(server: LiveServer) -> None:
    index = httpx.get(f"{server.base_url}/")

    assert index.status_code == 200
    for link in ("/docs", "/openapi.yaml", "/openapi.json"):
        assert f'href="{link}"' in index.text


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    return found


@pytest.mark.needs_binary
def test_a_browser_renders_every_operation_with_no_network(server: LiveServer) -> None:
    browser = chromium()
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}",
                # Nothing but the service resolves: the page must need nothing else.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000", "--dump-dom",
                f"{server.base_url}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip

    dom = result.stdout
    assert 'class="swagger-ui' in dom, result.stderr[-2000:]
    assert "Todo API" in dom
    for operation in contract_operations().values():
        assert operation["operationId"] in dom, operation["operationId"]
