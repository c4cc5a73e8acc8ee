"""Online fine-tuning: model versions with a forgetting gate, replay and pseudo-label data, a training job in
a child process, and the annotation simulation that measures what it saves."""
