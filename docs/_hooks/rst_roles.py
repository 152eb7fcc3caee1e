"""A griffe extension for the API reference: the docstrings' Sphinx roles as inline code.

The docstrings are written for ``help()`` and IDEs, in reStructuredText's habits: ``:class:`~a.b.C```,
``:meth:`pause```, double backquotes. Rendered as Markdown those would show their markup; this turns a
role into ``C`` (the last dotted part when the target starts with ``~``) and double backquotes into single.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj|const):`(~?)([^`]+)`")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def plain(text: str) -> str:
    """The docstring with roles and double backquotes as Markdown inline code."""
    return ROLE.sub(_role, text).replace("``", "`")


class RstRoles(griffe.Extension):
    """Rewrites every docstring griffe loads, once."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
