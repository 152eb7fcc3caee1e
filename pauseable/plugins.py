"""The one plugin manager: adapters and other plugins, found through the entry-point group ``pauseable``.

``PAUSEABLE_PLUGINS`` (comma-separated entry-point names) limits which installed plugins load;
set it to an empty string to load none. A plugin whose import fails is left out and listed by
:func:`broken_plugins` with the reason (``pauseable backends`` shows it), so one broken install
never takes the others down. The built-in logging plugin (:mod:`pauseable.log`) is always
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
_broken: dict[str, str] = {}


def load_plugins() -> pluggy.PluginManager:
    """Load the installed plugins once and return the plugin manager."""
    global _loaded
    if _loaded:
        return pm
    _loaded = True
    from pauseable import log

    pm.register(log, name="pauseable.log")
    allowed = os.environ.get("PAUSEABLE_PLUGINS")
    names = None if allowed is None else {name.strip() for name in allowed.split(",") if name.strip()}
    for entry_point in importlib.metadata.entry_points(group="pauseable"):
        if (names is not None and entry_point.name not in names) or pm.has_plugin(entry_point.name):
            continue
        if pm.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # e.g. a client release the adapter does not support
            dist = entry_point.dist
            where = f" (from {dist.name} {dist.version})" if dist is not None else ""
            _broken[entry_point.name] = f"import failed{where}: {type(exc).__name__}: {exc}"
            continue
        pm.register(plugin, name=entry_point.name)
    pm.check_pending()
    return pm


def broken_plugins() -> dict[str, str]:
    """Installed plugins that failed to import, by entry-point name, with the reason; they are not loaded."""
    load_plugins()
    return dict(_broken)
