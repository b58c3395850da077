"""On-call schedules: layers of rotations, overrides, and who is on call when."""
