"""Models in the window: pre-annotation, scoring, fine-tuning, review and their dialogs."""
