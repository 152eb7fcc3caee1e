"""The one plugin manager: adapters and other plugins, found through the entry-point group ``pauseable``.

``PAUSEABLE_PLUGINS`` (comma-separated entry-point names) limits which installed plugins load;
set it to an empty string to load none. The built-in logging plugin (:mod:`pauseable.log`) is always
registered; ``pm.unregister(name="pauseable.log")`` silences it.
"""

from __future__ import annotations

import importlib.metadata
import os

import pluggy

from pauseable import hookspecs

pm = pluggy.PluginManager("pauseable")
pm.add_hookspecs(hookspecs)
_loaded = False


def load_plugins() -> pluggy.PluginManager:
    """Load the installed plugins once and return the plugin manager."""
    global _loaded
    if _loaded:
        return pm
    _loaded = True
    from pauseable import log

    pm.register(log, name="pauseable.log")
    allowed = os.environ.get("PAUSEABLE_PLUGINS")
    if allowed is None:
        pm.load_setuptools_entrypoints("pauseable")
    else:
        names = {name.strip() for name in allowed.split(",") if name.strip()}
        for entry_point in importlib.metadata.entry_points(group="pauseable"):
            if entry_point.name in names and not pm.has_plugin(entry_point.name):
                pm.register(entry_point.load(), name=entry_point.name)
    pm.check_pending()
    return pm
