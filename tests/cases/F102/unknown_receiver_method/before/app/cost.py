import threading

from app.models import PluginInstance


def activity_for(db_session, slug, subject):
    plugin_instance = db_session.query(PluginInstance).filter_by(slug=slug).first()
    if plugin_instance is None:
        return []
    return [event.id for event in plugin_instance.instance.fetch_events(db_session=db_session, subject=subject)]


def refresh_costs(db_session, slug):
    return len(activity_for(db_session, slug, "incident"))


def refresh_in_background(db_session, slug):
    threading.Thread(target=refresh_costs, args=(db_session, slug)).start()
