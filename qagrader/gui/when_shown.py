"""Reload a screen when what it shows changed: at once if it is on screen, else when it is next
shown. Screens hear of changes through `operations().changed` and ask for a reload here; none
re-reads merely because it was shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class ReloadWhenShown(QObject):
    """Calls `reload()` for `widget`: now when it is visible, otherwise on its next show."""

    def __init__(self, widget: QWidget, reload: Callable[[], object]):
        super().__init__(widget)
        self._widget = widget
        self._reload = reload
        self.stale = False
        widget.installEventFilter(self)

    def request(self, *, now: bool = False) -> None:
        """What `widget` shows is out of date: reload it (`now`, or when it can be seen)."""
        if now or self._widget.isVisible():
            self.stale = False
            self._reload()
        else:
            self.stale = True

    def forget(self) -> None:
        """Nothing to reload any more (e.g. the workspace is gone)."""
        self.stale = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Show and self.stale:
            self.stale = False
            self._reload()
        return False
