"""posebench_mlp: the per-frame lifting baseline of Martinez et al. (model, train, plugin)."""
