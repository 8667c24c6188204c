"""What the benchmark scripts share: an emulator served in its own process, and timing a whole process."""
