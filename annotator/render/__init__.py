"""VTK scene adapters (point clouds, cuboids, handles): the only package that imports vtkmodules."""
