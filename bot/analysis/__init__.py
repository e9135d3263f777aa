"""Heavy computation the services call out to: the packaged sentiment models and the digest charts
(matplotlib). Kept apart because loading or running them is slow I/O-bound work, never done on a
survey turn."""
