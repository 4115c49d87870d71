def open_session():
    raise NotImplementedError("the application's session factory")
