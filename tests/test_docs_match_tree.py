"""README's layout and docs/architecture.md name the rooms and modules that exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
README = (ROOT / "README.md").read_text()
ROOMS = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests")


def test_every_room_is_in_the_readme_layout_and_the_architecture():
    layout = README.split("## Layout", 1)[1]
    for room in ROOMS:
        assert re.search(rf"^{room}/\s", layout, re.M), f"README layout misses {room}/"
        assert f"| `{room}/` |" in ARCHITECTURE, f"docs/architecture.md misses {room}/"


def test_every_module_the_architecture_table_names_exists():
    rows = re.findall(r"^\| `(\w+)/` \| (.+?) \|", ARCHITECTURE, re.M)
    assert {room for room, _ in rows} == set(ROOMS)
    for room, cell in rows:
        for name in re.findall(r"`([\w/.]+?(?:\.py|/))`", cell):
            path = ROOT / room / name.split(":")[0]
            if not path.exists():
                path = ROOT / name  # spelled from the root, e.g. tools/__init__.py
            assert path.exists(), f"docs/architecture.md names {room}/{name}, which is gone"
