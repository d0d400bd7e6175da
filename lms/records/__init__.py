"""Training records that stay true over time: who must train, by when, and whether a pass is current."""
