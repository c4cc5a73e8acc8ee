DROP TABLE leases, history_position, history, change_log, annotations, tracks, frames, documents, projects;
