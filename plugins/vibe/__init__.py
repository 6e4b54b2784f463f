"""posebench_vibe: VIBE (model, motion_discriminator, real_motion, official, train, plugin)."""
