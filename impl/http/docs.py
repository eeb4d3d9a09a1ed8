"""The docs a person reads: Swagger UI at /docs, and an index at /.

Swagger UI 5.35.0 (swagger-ui-dist, Apache-2.0, its LICENSE and NOTICE
beside it in impl/http/static/swagger-ui/) is served by the service itself, so
/docs works on a machine without internet and loads nothing from elsewhere.
It renders the contract the service publishes, /openapi.json.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

SWAGGER_UI = Path(__file__).resolve().parent / "static" / "swagger-ui"
ASSETS = "/docs/assets"

DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Todo API</title>
  <link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      displayOperationId: true,
      // The default validator badge would call validator.swagger.io.
      validatorUrl: null,
    }});
  </script>
</body>
</html>
"""

INDEX_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Todo API</title></head>
<body>
  <h1>Todo API</h1>
  <ul>
    <li><a href="/docs">Documentation</a> (Swagger UI)</li>
    <li>The contract: <a href="/openapi.yaml">openapi.yaml</a>,
      <a href="/openapi.json">openapi.json</a></li>
    <li><a href="/health">Health</a>, <a href="/ready">readiness</a></li>
  </ul>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(DOCS_PAGE)


@router.get("/")
async def index() -> HTMLResponse:
    return HTMLResponse(INDEX_PAGE)


assets = Mount(ASSETS, app=StaticFiles(directory=SWAGGER_UI), name="docs-assets")
