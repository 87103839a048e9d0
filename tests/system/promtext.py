"""A strict parser of the Prometheus text exposition format 0.0.4.

Used by the tests to prove /metrics is well-formed, rather than searching the
body for substrings. Follows the format's grammar: comment lines (# HELP,
# TYPE), and samples `name{label="value",...} value [timestamp]`.
"""
import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(ValueError):
    pass


def _unescape(s, allow_quote):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s):
                raise ParseError("dangling backslash")
            n = s[i + 1]
            if n == "\\":
                out.append("\\")
            elif n == "n":
                out.append("\n")
            elif n == '"' and allow_quote:
                out.append('"')
            else:
                raise ParseError(f"bad escape \\{n}")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _parse_value(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ParseError(f"bad sample value {text!r}")
    return float(text)


def _parse_labels(text, pos):
    """Parses `{a="b",...}` starting at text[pos] == '{'; returns (labels, new_pos)."""
    labels = {}
    pos += 1
    while True:
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        m = re.compile(LABEL_NAME).match(text, pos)
        if not m:
            raise ParseError(f"bad label name at {pos}")
        name = m.group(0)
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise ParseError("expected =\" after label name")
        pos += 2
        start = pos
        while pos < len(text) and text[pos] != '"':
            pos += 2 if text[pos] == "\\" else 1
        if pos >= len(text):
            raise ParseError("unterminated label value")
        if name in labels:
            raise ParseError(f"duplicate label {name}")
        labels[name] = _unescape(text[start:pos], allow_quote=True)
        pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "}":
            continue
        else:
            raise ParseError("expected , or } after label value")


def parse(body):
    """Returns {family: {"type":..., "help":..., "samples": [(name, labels, value)]}}."""
    if body and not body.endswith("\n"):
        raise ParseError("body must end with a newline")
    families = {}
    typed_after_samples = set()
    for lineno, line in enumerate(body.split("\n")[:-1], 1):
        try:
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                    name = parts[2]
                    if not re.fullmatch(NAME, name):
                        raise ParseError(f"bad metric name {name!r}")
                    fam = families.setdefault(name, {"type": "untyped", "help": None, "samples": []})
                    rest = parts[3] if len(parts) > 3 else ""
                    if parts[1] == "HELP":
                        if fam["help"] is not None:
                            raise ParseError(f"second HELP for {name}")
                        fam["help"] = _unescape(rest, allow_quote=False)
                    else:
                        if rest not in TYPES:
                            raise ParseError(f"bad type {rest!r}")
                        if fam["samples"] or name in typed_after_samples:
                            raise ParseError(f"TYPE for {name} after its samples")
                        fam["type"] = rest
                continue
            if not line.strip():
                continue
            m = re.compile(NAME).match(line)
            if not m:
                raise ParseError("sample line does not start with a metric name")
            name, pos = m.group(0), m.end()
            labels = {}
            if pos < len(line) and line[pos] == "{":
                labels, pos = _parse_labels(line, pos)
            if pos >= len(line) or line[pos] != " ":
                raise ParseError("expected a space before the value")
            fields = line[pos + 1:].split(" ")
            if len(fields) not in (1, 2):
                raise ParseError("expected value [timestamp]")
            value = _parse_value(fields[0])
            if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
                raise ParseError("bad timestamp")
            base = name
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[: -len(suffix)] in families:
                    base = name[: -len(suffix)]
            fam = families.setdefault(base, {"type": "untyped", "help": None, "samples": []})
            typed_after_samples.add(base)
            if fam["type"] == "counter" and not (value >= 0):
                raise ParseError(f"negative or NaN counter {name}")
            fam["samples"].append((name, labels, value))
        except ParseError as e:
            raise ParseError(f"line {lineno}: {e}: {line!r}") from None
    return families


def value(families, name, **labels):
    """The value of the one sample of `name` whose labels include `labels`."""
    fam = families.get(name)
    if fam is None:
        raise KeyError(name)
    found = [v for n, l, v in fam["samples"] if n == name and all(l.get(k) == w for k, w in labels.items())]
    if len(found) != 1:
        raise KeyError(f"{name}{labels}: {len(found)} samples")
    return found[0]
