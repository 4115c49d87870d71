registry = {}


def register(plugin_class):
    registry[plugin_class.slug] = plugin_class()
    return plugin_class


class Plugin:
    slug = "base"

    def fetch_events(self, db_session, subject, **kwargs):
        raise NotImplementedError

    def count_events(self, db_session, subject):
        raise NotImplementedError


@register
class ChatPlugin(Plugin):
    slug = "chat"

    def fetch_events(self, db_session, subject, **kwargs):
        from app.models import Event

        return db_session.query(Event).filter(Event.subject == subject).all()

    def count_events(self, db_session, subject):
        from app.models import Event

        return db_session.query(Event).filter(Event.subject == subject).count()
