"""Pure-Python model of a project: geometry, data model, commands and events. No Qt, no VTK."""
