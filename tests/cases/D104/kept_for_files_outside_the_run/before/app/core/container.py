class Container:
    _factories = {}

    @classmethod
    def register_factory(cls, name, factory):
        cls._factories[name] = factory

    @classmethod
    def resolve(cls, name):
        return cls._factories[name]()
