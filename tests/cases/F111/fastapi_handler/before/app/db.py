def get_db():
    raise NotImplementedError("provided by the application's database module")
