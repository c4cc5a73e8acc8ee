"""Generated LiDAR + camera street scenes with exact ground truth."""
