"""posebench_tcn: the temporal-convolution lifting baseline in the VideoPose3D design (model, train, plugin)."""
