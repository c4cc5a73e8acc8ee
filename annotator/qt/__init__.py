"""PySide6 user interface: application, main window, views, panels and dialogs."""
