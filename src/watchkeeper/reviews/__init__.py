"""Post-incident reviews, their action items and client summaries, and the improvement metrics."""
