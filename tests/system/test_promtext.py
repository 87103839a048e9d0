"""The test parser itself must reject what the format forbids."""
import math

import pytest

import promtext

GOOD = (
    '# HELP fbf_x_total Things, with \\\\ and \\n escapes\n'
    '# TYPE fbf_x_total counter\n'
    'fbf_x_total{a="1",b="q\\"uote"} 3\n'
    'fbf_x_total{a="2"} 4 1700000000000\n'
    '# TYPE fbf_g gauge\n'
    'fbf_g +Inf\n'
    'fbf_h NaN\n'
)


def test_parses_valid_text():
    fams = promtext.parse(GOOD)
    assert fams["fbf_x_total"]["type"] == "counter"
    assert fams["fbf_x_total"]["help"] == "Things, with \\ and \n escapes"
    assert promtext.value(fams, "fbf_x_total", b='q"uote') == 3
    assert promtext.value(fams, "fbf_x_total", a="2") == 4
    assert math.isinf(promtext.value(fams, "fbf_g"))
    assert math.isnan(promtext.value(fams, "fbf_h"))


@pytest.mark.parametrize("bad", [
    "fbf_x 1",                        # no final newline
    "fbf-x 1\n",                      # bad name
    "fbf_x{a=1} 1\n",                 # unquoted label value
    'fbf_x{a="1"}1\n',                # no space
    'fbf_x{a="1",a="2"} 1\n',         # duplicate label
    "fbf_x one\n",                    # bad value
    "# TYPE fbf_x countr\n",          # bad type
    "fbf_x 1\n# TYPE fbf_x gauge\n",  # TYPE after samples
    "# TYPE fbf_c counter\nfbf_c -1\n",
    'fbf_x{a="\\t"} 1\n',             # bad escape
])
def test_rejects_invalid_text(bad):
    with pytest.raises(promtext.ParseError):
        promtext.parse(bad)
