"""posebench_hmmr: HMMR, a PyTorch port (model, movie_strip, losses, train, plugin)."""
