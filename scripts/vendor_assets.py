"""Fetch the pinned front-end libraries from the npm registry into mofan/static/vendor.

Run only when updating a library (`make vendor`); the platform itself never fetches anything at
run time. Each library keeps its licence file beside it.
"""

import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "mofan" / "static" / "vendor"

# package, version, {file inside the package: name under vendor/<dir>/}, dir
LIBRARIES = [
    ("htmx.org", "2.0.8", {"dist/htmx.min.js": "htmx.min.js", "LICENSE": "LICENSE"}, "htmx"),
    (
        "@picocss/pico",
        "2.1.1",
        {"css/pico.min.css": "pico.min.css", "LICENSE.md": "LICENSE.md"},
        "pico",
    ),
    (
        "echarts",
        "6.1.0",
        {"dist/echarts.min.js": "echarts.min.js", "LICENSE": "LICENSE"},
        "echarts",
    ),
    (
        "swagger-ui-dist",
        "5.35.0",
        {
            "swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "swagger-ui.css": "swagger-ui.css",
            "LICENSE": "LICENSE",
        },
        "swagger-ui",
    ),
]


def fetch(package: str, version: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        name = json.loads(out.stdout)[0]["filename"]
        return (Path(tmp) / name).read_bytes()


def main() -> int:
    manifest = {}
    for package, version, files, directory in LIBRARIES:
        data = fetch(package, version)
        target = VENDOR / directory
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for inner, outer in files.items():
                member = tar.extractfile(f"package/{inner}")
                if member is None:
                    print(f"{package}: {inner} missing", file=sys.stderr)
                    return 1
                (target / outer).write_bytes(member.read())
        manifest[package] = version
        print(f"vendored {package}@{version} into {target}")
    (VENDOR / "versions.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
