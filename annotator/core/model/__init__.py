"""The project model: records, schema, the project and its undoable commands."""
