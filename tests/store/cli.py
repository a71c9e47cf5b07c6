"""Running `callrouter` in-process and preparing company files for it."""
from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Optional

from ruamel.yaml import YAML

from daemon.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.yaml"


def callrouter(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout, stderr of one command."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def company_copy(directory: Path, *, smtp_port: Optional[int] = None, store_url: Optional[str] = None) -> Path:
    """config/example.yaml copied into `directory`, its SMTP pointed at a test server and,
    for PostgreSQL, a `store:` section added (SQLite keeps the default relative path)."""
    path = directory / "company.yaml"
    shutil.copy(EXAMPLE, path)
    if smtp_port is not None or store_url is not None:
        yaml = YAML()
        yaml.indent(mapping=2, sequence=4, offset=2)
        yaml.width = 4096
        data = yaml.load(path.read_text(encoding="utf-8"))
        if smtp_port is not None:
            data["company"]["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "from": "pbx@romashka.ru",
                                     "local_relay": True}
        if store_url is not None:
            data["store"] = {"url": store_url}
        out = io.StringIO()
        yaml.dump(data, out)
        path.write_text(out.getvalue(), encoding="utf-8")
    return path
