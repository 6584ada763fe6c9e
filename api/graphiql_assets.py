"""GraphiQL's files, served by the app itself at /graphiql/<package>@<version>/<file>: the npm
packages of api/graphiql-assets (`make install` runs `npm ci` there), the very versions that
Strawberry's page names, so that its integrity hashes still hold. Integrators on closed networks
are the users of that page. GRAPHIQL_ASSETS=cdn loads them from the unpkg CDN instead, as
Strawberry's page does; so does a server whose packages are not installed, saying so in its log.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

log = logging.getLogger("api.graphiql")

ASSETS_DIR = Path(__file__).resolve().parent / "graphiql-assets" / "node_modules"
ASSETS_PATH = "/graphiql/"
CDN_URL = re.compile(r'https://unpkg\.com/((?:@[^/@"]+/)?[^/@"]+)@([^/"]+)/([^"]+)')
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# The version is in the address: a file there never changes.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Assets:
    """Where the page takes GraphiQL's files from: `files` maps each one's address under
    /graphiql/ (`graphiql@3.8.3/graphiql.min.js`) to the installed file; empty, the CDN."""

    files: dict[str, Path] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return bool(self.files)

    def rewrite(self, html: str) -> str:
        """The page with the CDN's addresses replaced by the app's own (integrity kept)."""
        if not self.local:
            return html

        def local(match: re.Match) -> str:
            name, version, path = match.groups()
            return f"{ASSETS_PATH}{name}@{version}/{path}"

        return CDN_URL.sub(local, html)

    async def serve(self, request: Request) -> Response:
        """GET /graphiql/{file}: one of the page's files, nothing else of node_modules."""
        path = self.files.get(request.path_params["file"])
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix), headers=IMMUTABLE)


def find_assets(mode: str, strawberry_html: str, folder: Path = ASSETS_DIR) -> Assets:
    """The files that Strawberry's page names on the CDN, found installed in `folder` at the
    same versions; the CDN (and a warning in the log) when one is missing or another version."""
    if mode == "cdn":
        log.info("GraphiQL: its files come from the unpkg CDN (GRAPHIQL_ASSETS=cdn)")
        return Assets()
    files: dict[str, Path] = {}
    problems: list[str] = []
    for name, version, path in CDN_URL.findall(strawberry_html):
        package = folder / name
        try:
            installed = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        except (OSError, ValueError, KeyError):
            problems.append(f"{name} is not installed")
            continue
        file = (package / path).resolve()
        if installed != version:
            problems.append(f"{name} {installed} is installed where the page needs {version}")
        elif not file.is_relative_to(package.resolve()) or not file.is_file():
            problems.append(f"{name}@{version} has no {path}")
        else:
            files[f"{name}@{version}/{path}"] = file
    if problems or not files:
        log.warning(
            "GraphiQL: the app cannot serve GraphiQL's files (%s; `make install` runs `npm ci` in "
            "api/graphiql-assets when npm is there), so /graphql loads them from the unpkg CDN "
            "and needs Internet access",
            "; ".join(problems) or "Strawberry's page names none",
        )
        return Assets()
    log.info("GraphiQL: its %d files are served by the app under %s", len(files), ASSETS_PATH)
    return Assets(files)


def assets_of(mode: str) -> Assets:
    """Where the page takes its files from (GRAPHIQL_ASSETS: local or cdn), chosen once per app;
    the app routes /graphiql/{file} to the Assets' `serve`."""
    from strawberry.http.ides import get_graphql_ide_html

    return find_assets(mode, get_graphql_ide_html("graphiql"))
