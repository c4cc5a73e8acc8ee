"""Review follows the object: every box the review keys visit (J, Return / X, U / Shift+U, a double-click
in the review queue) is brought into the perspective view, keeping the user's viewing angle, and a walk
started in the review queue goes on along the uncertain boxes when a box is accepted or rejected."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from annotator.qt.document import Document
from annotator.qt.models.review import ReviewController
from annotator.qt.panels.review_queue import ReviewQueuePanel
from annotator.qt.views.viewport import PerspectiveView

logger = logging.getLogger(__name__)


class ReviewFollower(QObject):
    """Moves the camera to each visited box and tells the review controller which walk is on."""

    def __init__(
        self,
        document: Document,
        view: PerspectiveView,
        review: ReviewController,
        queue: ReviewQueuePanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.view = view
        self.review = review
        self.queue = queue
        review.visited.connect(self.focus)
        queue.visited.connect(self._walk_uncertain)

    def focus(self, annotation_id: int) -> bool:
        """Centre the perspective view on the annotation's cuboid, same viewing direction; False when it
        has none (a 2D box) or is gone."""
        project = self.document.project
        annotation = project.annotations.get(annotation_id) if project is not None else None
        if annotation is None or annotation.cuboid is None:
            return False
        self.view.focus_on(annotation.cuboid)
        return True

    def _walk_uncertain(self, annotation_id: int) -> None:
        self.review.walk = self.queue.followers
        self.focus(annotation_id)
