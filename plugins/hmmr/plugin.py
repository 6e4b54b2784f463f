def posebench_register_models(register):
    pass
