"""The documentation against the contract and itself (no binaries needed).

- scripts/check-config-docs finds every table and key of shared/spec/CONFIG.md
  documented in docs/man/fbf.toml.5 and docs/configuration.md; its extractor
  and its verdict are unit-tested on small samples, one with a key left out;
- every relative link in README.md and docs/*.md points to a file that exists.
"""
import importlib.machinery
import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKER = REPO / "scripts" / "check-config-docs"
SPEC = Path(os.path.normpath(REPO / ".." / "shared" / "spec" / "CONFIG.md"))


def load_checker():
    loader = importlib.machinery.SourceFileLoader("check_config_docs", str(CHECKER))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module      # dataclasses look their module up
    loader.exec_module(module)
    return module


ccd = load_checker()


# --- the real contract -------------------------------------------------------------------
def test_every_contract_key_is_documented():
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not found (shared/ is expected beside the repository)")
    cp = subprocess.run([sys.executable, str(CHECKER)], cwd=REPO, capture_output=True,
                        text=True, timeout=60)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "documented in docs/man/fbf.toml.5 and docs/configuration.md" in cp.stdout


def test_the_contract_yields_the_keys_tests_rely_on():
    """Guards the extractor against a silent change of the spec's layout: the
    inline and commented-out keys must still be found."""
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not found (shared/ is expected beside the repository)")
    keys = {str(k) for k in ccd.extract(SPEC.read_text(encoding="utf-8")).keys}
    for expected in ("[agent]", "[agent] local_as", "[[neighbor]]", "[neighbor] bfd",
                     "[neighbor.bfd]", "[neighbor.bfd] auth_key_id", "[[bfd_peer]]",
                     "[service.degraded] med", "[service.degraded] as_path_prepend",
                     "[service.check] disable_file", "[maintenance] shutdown_message"):
        assert expected in keys, (expected, sorted(keys))
    assert len(keys) >= 70, sorted(keys)


# --- the checker on samples -------------------------------------------------------------
SAMPLE_SPEC = '''# contract

```toml
[agent]
local_as = 65500                      # required
router_id = "192.0.2.1"               # a "# comment = inside" a string

[[neighbor]]
name = "up"
bfd = true                            # or, instead of `bfd = true`, a table:
# [neighbor.bfd]
# min_tx = "100ms"
# auth_key = "s3cret"

[[service]]
degraded = { med = 1000, as_path_prepend = 3 }  # attributes while failing
# a line of prose = not a key, ends with an equals sign =
```
'''

SAMPLE_MD = '''# Reference

## `[agent]`

| key | meaning |
|---|---|
| `local_as` | our AS |
| `router_id` | identifier |

## `[[neighbor]]`

| key | meaning |
|---|---|
| `name` | its name |
| `bfd` | BFD |

### `[neighbor.bfd]` keys

`min_tx` as in `[bfd]`, and:

| key | meaning |
|---|---|
| `auth_key` | the key |

## `[[service]]`

| key | meaning |
|---|---|
| `degraded` | keys `med` and `as_path_prepend` |
'''

SAMPLE_MDOC = '''.Sh THE [agent] TABLE
.Bl -tag -width Ds
.It Ic local_as Ar integer
.It Ic router_id Ar address
.El
.Sh THE [[neighbor]] TABLES
.Bl -tag -width Ds
.It Ic name Ar name
.It Ic bfd Ar boolean
.El
.Sh BFD SESSION KEYS
Accepted in
.Ic [neighbor.bfd] :
.Ic min_tx
and
.Bl -tag -width Ds
.It Ic auth_key Ar string
.El
.Sh THE [[service]] TABLES
.Bl -tag -width Ds
.It Ic degraded Ar table
In place of
.Ic med
and
.Ic as_path_prepend .
.El
'''


def test_extractor_finds_plain_inline_and_commented_keys():
    spec = ccd.extract(SAMPLE_SPEC)
    assert [str(k) for k in spec.keys] == [
        "[agent]", "[agent] local_as", "[agent] router_id",
        "[[neighbor]]", "[neighbor] name", "[neighbor] bfd",
        "[neighbor.bfd]", "[neighbor.bfd] min_tx", "[neighbor.bfd] auth_key",
        "[[service]]", "[service] degraded",
        "[service.degraded] med", "[service.degraded] as_path_prepend"]
    assert spec.inline == {"service.degraded": "service"}


def make_repo(tmp_path, md, mdoc):
    (tmp_path / "docs" / "man").mkdir(parents=True)
    (tmp_path / "docs" / "configuration.md").write_text(md)
    (tmp_path / "docs" / "man" / "fbf.toml.5").write_text(mdoc)
    spec = tmp_path / "CONFIG.md"
    spec.write_text(SAMPLE_SPEC)
    return spec


def run_check(spec, repo):
    out, err = io.StringIO(), io.StringIO()
    rc = ccd.check(spec, repo, out=out, err=err)
    return rc, out.getvalue() + err.getvalue()


def test_checker_passes_complete_docs(tmp_path):
    rc, text = run_check(make_repo(tmp_path, SAMPLE_MD, SAMPLE_MDOC), tmp_path)
    assert rc == 0, text
    assert "9 keys in 4 tables" in text, text


@pytest.mark.parametrize("doc,remove,reported", [
    # a key row gone from the Markdown reference
    ("md", "| `router_id` | identifier |\n", "docs/configuration.md: [agent] router_id"),
    # a commented-out key of the spec gone from the man page
    ("mdoc", ".It Ic auth_key Ar string\n", "docs/man/fbf.toml.5: [neighbor.bfd] auth_key"),
    # an inline-table key gone from the man page
    ("mdoc", ".Ic as_path_prepend .\n",
     "docs/man/fbf.toml.5: [service.degraded] as_path_prepend"),
])
def test_checker_fails_on_a_missing_key(tmp_path, doc, remove, reported):
    md, mdoc = SAMPLE_MD, SAMPLE_MDOC
    if doc == "md":
        assert remove in md
        md = md.replace(remove, "")
    else:
        assert remove in mdoc
        mdoc = mdoc.replace(remove, "")
    rc, text = run_check(make_repo(tmp_path, md, mdoc), tmp_path)
    assert rc == 1, text
    assert reported in text, text
    assert text.count("\n  docs/") == 1, text     # exactly the one that is missing


def test_checker_wants_a_key_in_its_own_tables_section(tmp_path):
    """`bfd` moved from the [[neighbor]] section to the [agent] one: missing."""
    md = SAMPLE_MD.replace("| `bfd` | BFD |\n", "").replace(
        "| `router_id` | identifier |\n", "| `router_id` | identifier, not `bfd` |\n")
    rc, text = run_check(make_repo(tmp_path, md, SAMPLE_MDOC), tmp_path)
    assert rc == 1, text
    assert "docs/configuration.md: [neighbor] bfd\n" in text, text


def test_checker_fails_on_a_missing_table_section(tmp_path):
    md = SAMPLE_MD.replace("### `[neighbor.bfd]` keys", "### BFD keys")
    rc, text = run_check(make_repo(tmp_path, md, SAMPLE_MDOC), tmp_path)
    assert rc == 1
    assert "docs/configuration.md: [neighbor.bfd]\n" in text, text


def test_checker_cli_without_spec_is_a_usage_error(tmp_path):
    cp = subprocess.run([sys.executable, str(CHECKER), "--repo", str(REPO),
                         "--spec", str(tmp_path / "missing.md")],
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 2
    assert "missing.md: no such file" in cp.stderr


# --- links ----------------------------------------------------------------------------
LINK_RE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def relative_links(text):
    """Link targets of a Markdown text that are paths (no scheme, not an
    anchor alone), outside code."""
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", "", text)
    for target in LINK_RE.findall(text) + REFDEF_RE.findall(text):
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        yield target


def test_relative_links_helper():
    text = ("[a](docs/x.md) [b](https://e.org/y) [c](#top) ![i](img/p.png \"t\")\n"
            "`[not](code.md)`\n```\n[no](block.md)\n```\n[r]: ../ref.md#part\n")
    assert list(relative_links(text)) == ["docs/x.md", "img/p.png", "../ref.md#part"]


MARKDOWN_FILES = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_point_to_existing_files(path):
    broken = []
    for target in relative_links(path.read_text(encoding="utf-8")):
        file_part = re.split(r"[#?]", target, maxsplit=1)[0]
        if not file_part:
            continue
        if not (path.parent / file_part).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(REPO)}: links to missing files: {broken}"
