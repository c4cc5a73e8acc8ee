"""The camera image panel: the image view, its 2D items and projected cuboids."""
