"""The layers of docs/architecture.md hold: every contract in .importlinter is kept (make test and make lint run
`lint-imports` too; this puts the check in every pytest run, `make test-fast` included)."""

import configparser
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"


def test_every_import_contract_is_kept(capsys):
    kept = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)
    assert kept == 0, capsys.readouterr().out


def test_the_architecture_page_draws_the_layers_the_contract_checks():
    config = configparser.ConfigParser()
    config.read(CONFIG)
    layers = [line.strip() for line in config["importlinter:contract:layers"]["layers"].splitlines() if line.strip()]
    drawing = (ROOT / "docs" / "architecture.md").read_text().split("## Layers", 1)[1].split("```")[1]
    drawn = [line[:47].strip() for line in drawing.splitlines() if line.strip() and not line.lstrip().startswith("-")]
    assert [layer for layer in drawn if layer] == layers
