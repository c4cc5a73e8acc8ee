"""The 3D views: the perspective viewport, the top/side/front views, their grid and drawing."""
