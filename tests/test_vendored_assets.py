"""The console's vendored htmx and Leaflet: present, unchanged, listed, and shipped.

A browser runs whatever the bot serves, so the files must be exactly the published ones whose
sums `VERSIONS.md` records; a file added without a line there (or a line whose file is gone)
fails here; and an installed bot must carry them (``pyproject.toml`` package-data).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "bot" / "console" / "static" / "vendor"
ROW = re.compile(r"^\| (\S+) \| (\S+) \| (\S+) \| (\S+) \| ([0-9a-f]{64}) \|$")


def listed() -> dict[str, tuple[str, str, str, str]]:
    rows = {}
    for line in (VENDOR / "VERSIONS.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            path, package, version, licence, digest = match.groups()
            rows[path] = (package, version, licence, digest)
    return rows


def on_disk() -> set[str]:
    return {
        p.relative_to(VENDOR).as_posix()
        for p in VENDOR.rglob("*")
        if p.is_file() and p.name != "VERSIONS.md"
    }


def test_every_vendored_file_is_listed_and_its_sha256_matches():
    rows = listed()
    assert {"htmx/htmx.min.js", "leaflet/leaflet.js", "leaflet/leaflet.css"} <= set(rows)
    assert on_disk() == set(rows)
    for path, (_package, _version, _licence, digest) in rows.items():
        data = (VENDOR / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, path


def test_versions_are_pinned_and_licences_named():
    for path, (package, version, licence, _digest) in listed().items():
        assert package in ("htmx.org", "leaflet"), path
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), path
        assert licence in ("0BSD", "BSD-2-Clause"), path
    versions = {(p, v) for p, v, _, _ in listed().values()}
    assert len({p for p, _ in versions}) == len(versions)  # one version per package


def test_the_leaflet_stylesheet_finds_its_images_next_to_it():
    css = (VENDOR / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    for image in set(re.findall(r"url\((images/[^)]+)\)", css)):
        assert (VENDOR / "leaflet" / image).is_file(), image


def test_package_data_ships_every_vendored_file():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bot"]
    shipped = {
        p.relative_to(ROOT / "bot").as_posix()
        for pattern in patterns
        for p in (ROOT / "bot").glob(pattern)
        if p.is_file()
    }
    expected = {f"console/static/vendor/{path}" for path in on_disk()}
    assert expected | {"console/static/vendor/VERSIONS.md"} <= shipped
