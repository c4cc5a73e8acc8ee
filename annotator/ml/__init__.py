"""Model plugin host: manifests, discovery, the model protocol, runners, uncertainty, fine-tuning."""
