"""The CSV parser stands alone (no Django, no database) and still checks email addresses exactly
as Django's validator does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import given
from hypothesis import strategies as st

from programs.csv_parser import email_valid

ROOT = Path(__file__).resolve().parents[2]


def django_says(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def test_the_parser_imports_nothing_from_django() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, programs.csv_parser; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"


@pytest.mark.parametrize(
    "value",
    [
        "ann@example.com",
        "a.b+c@sub.example.co.uk",
        "ann@localhost",
        "ann@LOCALHOST",
        "ann@[127.0.0.1]",
        "ann@[::1]",
        "ann@[1:2:3:4:5:6:7:8]",
        "ann@[1:2:3:4:5:6:7:8:9]",
        "ann@[300.1.1.1]",
        "ann@[0000:0000:0000:0000:0000:0000:0000:00001]",
        '"quoted name"@example.com',
        '"bad"quote"@example.com',
        "ann@exa_mple.com",
        "ann@-example.com",
        "ann@example-.com",
        "ann@example.c",
        "ann@example.xn--p1ai",
        "ann@bücher.de",
        "ann@example",
        "ann..lee@example.com",
        ".ann@example.com",
        "ann@@example.com",
        "ann@",
        "@example.com",
        "",
        "a" * 64 + "@" + "b" * 63 + ".com",
        "a@" + "b" * 64 + ".com",
        "a" * 310 + "@example.com",
        "ann@example.com\n",
        "ann@exam\u00a0ple.com",
    ],
)
def test_an_address_is_valid_exactly_when_django_says_so(value: str) -> None:
    assert email_valid(value) == django_says(value)


@given(
    st.text(
        alphabet=st.sampled_from('ab.-_+@[]:"\\ 19xn-é\u00a0\n'),
        max_size=30,
    )
)
def test_generated_addresses_agree_with_django(value: str) -> None:
    assert email_valid(value) == django_says(value)
